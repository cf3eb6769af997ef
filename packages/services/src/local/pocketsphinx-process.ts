import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { LocalEngineError } from '../errors.ts';

/** How to run `pocketsphinx_continuous` (0.8+5prealpha, the Debian/Ubuntu package). */
export interface PocketsphinxProcessOptions {
  /** Path of the `pocketsphinx_continuous` binary. */
  readonly binary: string;
  /** Acoustic model directory (`-hmm`). */
  readonly modelDir: string;
  /** Language model (`-lm`), e.g. Debian's `en-us.lm.bin`. */
  readonly languageModelPath: string;
  /** Pronunciation dictionary (`-dict`). */
  readonly dictionaryPath: string;
  /** Rate of the audio that will be written, Hz: 8000 or 16000. */
  readonly sampleRateHz: 8000 | 16000;
  /** Frames (10 ms each) of silence that end an utterance (`-vad_postspeech`). */
  readonly vadPostspeechFrames: number;
  /** More command-line arguments, e.g. `['-jsgf', 'menu.gram']`. */
  readonly extraArgs?: readonly string[];
}

/** What the process reports. Called on the main thread; must not throw. */
export interface PocketsphinxHandlers {
  /** One recognized utterance (a stdout line; may be empty when only noise was heard). */
  readonly onUtterance: (text: string) => void;
  /** The process died or a pipe failed while it was supposed to run. Called at most once. */
  readonly onFailure: (error: LocalEngineError) => void;
}

/**
 * `cat` turns Node's stdin socketpair into a pipe pocketsphinx can `fopen("/dev/stdin")`.
 * When pocketsphinx exits (a crash, or end of input), the group is killed at once: otherwise
 * `sh` would wait for `cat`, which only notices when the next write fails, and the exit would
 * go unseen. Its status goes to stderr first.
 */
const SCRIPT = 'cat | { "$0" -infile /dev/stdin "$@"; echo "pocketsphinx exit status $?" >&2; kill 0; }';

const PIPE_GONE = new Set(['EPIPE', 'ECONNRESET', 'ERR_STREAM_DESTROYED', 'ERR_STREAM_WRITE_AFTER_END']);

/** Process groups started here and not yet seen gone, by leader pid. */
const liveGroups = new Set<number>();
let exitHookInstalled = false;

/**
 * Kills every live group when this process exits normally (end of the event loop,
 * `process.exit()`, a handled SIGTERM that exits): an exit handler runs synchronously, so
 * SIGKILL, which needs no waiting. Without it the groups would only notice through `cat`'s
 * end-of-file, once pocketsphinx finished loading its model.
 */
function trackGroup(pid: number): void {
  liveGroups.add(pid);
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const group of liveGroups) killGroup(group, 'SIGKILL');
  });
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: already gone
  }
}

/**
 * One `pocketsphinx_continuous` decoding a stream of raw s16le mono audio written to its
 * stdin, printing one line per utterance it segments with its own VAD.
 *
 * It runs as `sh -c 'cat | { pocketsphinx_continuous -infile /dev/stdin …; kill 0; }'`:
 * pocketsphinx cannot `fopen("/dev/stdin")` on the socketpair Node uses for a child's stdin,
 * so `cat` turns it into a pipe. The shell, `cat` and pocketsphinx share a new process group,
 * which {@link close} kills as a whole, and which kills itself when pocketsphinx exits, so
 * nothing outlives the call or a crash. When Node exits normally every live group is killed
 * (an `exit` handler); if Node itself dies, `cat` reads end-of-file and all exit. Every
 * stream has an error handler before the first write.
 */
export class PocketsphinxProcess {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly exited: Promise<void>;
  private closing = false;
  private failed = false;
  private stdoutRest = '';
  private stderrRest = '';
  private readonly lastErrors: string[] = [];

  constructor(
    options: PocketsphinxProcessOptions,
    private readonly handlers: PocketsphinxHandlers,
  ) {
    const args = [
      '-samprate',
      String(options.sampleRateHz),
      ...(options.sampleRateHz === 8000 ? ['-nfft', '256'] : []),
      '-hmm',
      options.modelDir,
      '-lm',
      options.languageModelPath,
      '-dict',
      options.dictionaryPath,
      '-vad_postspeech',
      String(options.vadPostspeechFrames),
      ...(options.extraArgs ?? []),
    ];
    this.child = spawn('sh', ['-c', SCRIPT, options.binary, ...args], {
      detached: true, // own process group: close() kills sh, cat and pocketsphinx together
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const pid = this.child.pid;
    if (pid !== undefined) trackGroup(pid);
    this.child.on('error', (e) => this.fail(`could not start pocketsphinx: ${e.message}`, e));
    this.child.stdin.on('error', (e: NodeJS.ErrnoException) => {
      if (!PIPE_GONE.has(e.code ?? '')) this.fail(`writing audio to pocketsphinx failed: ${e.message}`, e);
    });
    this.child.stdout.on('error', (e) => this.fail(`reading pocketsphinx failed: ${e.message}`, e));
    this.child.stderr.on('error', () => {}); // diagnostics only
    this.child.stdout.setEncoding('utf8').on('data', (d: string) => this.onStdout(d));
    this.child.stderr.setEncoding('utf8').on('data', (d: string) => this.onStderr(d));
    this.exited = new Promise((resolve) => {
      this.child.on('close', (code, signal) => {
        if (pid !== undefined) liveGroups.delete(pid);
        if (!this.closing) {
          const detail = this.lastErrors.length > 0 ? `: ${this.lastErrors.join(' | ')}` : '';
          this.fail(`pocketsphinx exited unexpectedly (${signal ?? `code ${code}`})${detail}`);
        }
        resolve();
      });
    });
  }

  /** Bytes written but not yet taken by the process (grows when it falls behind). */
  get bufferedBytes(): number {
    return this.child.stdin.writableLength;
  }

  /** True until the process exits or {@link close} is called. */
  get isAlive(): boolean {
    return !this.closing && !this.failed;
  }

  /**
   * Queue samples for the decoder without blocking (Node buffers them; the `Int16Array` is
   * referenced, not copied, until written, so it must not be reused by the caller).
   */
  write(pcm: Int16Array): void {
    if (!this.isAlive) return;
    this.child.stdin.write(Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength));
  }

  /**
   * Stop the process group (SIGTERM, then SIGKILL after `graceMs`) and wait until it is gone.
   * Never rejects; later output is ignored.
   */
  async close(graceMs = 1000): Promise<void> {
    if (this.closing) return this.exited;
    this.closing = true;
    this.child.stdin.destroy();
    this.killGroup('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const forced = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        this.killGroup('SIGKILL');
        resolve();
      }, graceMs);
    });
    await Promise.race([this.exited, forced]);
    clearTimeout(timer);
    await this.exited;
  }

  private killGroup(signal: NodeJS.Signals): void {
    const pid = this.child.pid;
    // A group seen gone may have its id reused by an unrelated process group (pid_max is often
    // 32768): it is never signalled again.
    if (pid !== undefined && liveGroups.has(pid)) killGroup(pid, signal);
  }

  private onStdout(data: string): void {
    const lines = (this.stdoutRest + data).split('\n');
    this.stdoutRest = lines.pop() ?? '';
    if (this.closing) return;
    for (const line of lines) this.handlers.onUtterance(line.trim());
  }

  private onStderr(data: string): void {
    const lines = (this.stderrRest + data).split('\n');
    this.stderrRest = lines.pop() ?? '';
    for (const line of lines) {
      if (!/ERROR|FATAL|not found|No such|exit status/i.test(line)) continue;
      this.lastErrors.push(line.trim());
      if (this.lastErrors.length > 5) this.lastErrors.shift();
    }
  }

  private fail(message: string, cause?: unknown): void {
    if (this.closing || this.failed) return;
    this.failed = true;
    this.killGroup('SIGKILL');
    this.handlers.onFailure(new LocalEngineError('stt', message, cause));
  }
}
