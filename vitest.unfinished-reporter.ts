/**
 * A Vitest reporter that names, at the very end of the output, every test file that did not
 * finish: a worker that dies (a native crash, a kill) is otherwise reported only as "Worker exited
 * unexpectedly", with no file, and CI logs are often read from their tail.
 */
import type { Reporter, TestModule } from 'vitest/node';

export default class UnfinishedFilesReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const unfinished = testModules.filter((m) => {
      const state = m.state();
      return state === 'queued' || state === 'pending';
    });
    if (unfinished.length === 0) return;
    process.stderr.write(
      `\nTest files that did not finish (their worker may have died):\n${unfinished
        .map((m) => `  ${m.relativeModuleId}`)
        .join('\n')}\n`,
    );
  }
}
