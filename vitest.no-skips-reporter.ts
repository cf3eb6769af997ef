/**
 * A Vitest reporter that fails the run when any test was skipped, if `PARLEY_TEST_NO_SKIPS=1`
 * (`.ci/run` sets it). Every skip in this repository is environmental (no Chromium, no
 * pocketsphinx, no PostgreSQL or Redis); CI provides all of them, so a skip there means a check
 * silently vanished from a green run (e.g. the real-speech and browser tests).
 */
import type { Reporter, TestModule } from 'vitest/node';

export default class NoSkipsReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    if (process.env.PARLEY_TEST_NO_SKIPS !== '1') return;
    const skipped: string[] = [];
    for (const module of testModules) {
      for (const test of module.children.allTests()) {
        if (test.result().state === 'skipped')
          skipped.push(`  ${module.relativeModuleId} > ${test.fullName}`);
      }
    }
    if (skipped.length === 0) return;
    process.stderr.write(
      `\n${skipped.length} skipped test(s), and PARLEY_TEST_NO_SKIPS=1 forbids skips (is Chromium, pocketsphinx, PostgreSQL or Redis missing?):\n${skipped.join('\n')}\n`,
    );
    process.exitCode = 1;
  }
}
