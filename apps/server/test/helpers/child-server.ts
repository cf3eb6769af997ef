/** Runs `test/fixtures/fault-server.ts` as a child process (the real server, fake services). */
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';

const SCRIPT = path.join(import.meta.dirname, '..', 'fixtures', 'fault-server.ts');

/** A running child server. */
export interface ChildServer {
  readonly process: ChildProcess;
  /** `http://127.0.0.1:PORT` and `ws://127.0.0.1:PORT` */
  readonly url: string;
  readonly wsUrl: string;
  /** Resolves with the exit code (or signal) once the process has exited. */
  readonly exited: Promise<number | NodeJS.Signals | null>;
}

/**
 * Starts the fault server with `env` added to this process's environment and waits until it
 * listens (at most `timeoutMs`). Its stderr is kept and shown if it fails to start.
 */
export async function startChildServer(
  env: Record<string, string>,
  timeoutMs = 60_000,
): Promise<ChildServer> {
  const child = spawn(process.execPath, ['--import', 'tsx', SCRIPT], {
    env: { ...process.env, LOG_LEVEL: 'error', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const exited = new Promise<number | NodeJS.Signals | null>((resolve) =>
    child.once('exit', (code, signal) => resolve(signal ?? code)),
  );
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the child server did not start: ${stderr}`)), timeoutMs);
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      const port = (JSON.parse(line) as { port?: number }).port;
      if (port) {
        clearTimeout(timer);
        resolve(port);
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`the child server exited (${code}) before listening: ${stderr}`));
    });
  });
  return { process: child, url: `http://127.0.0.1:${port}`, wsUrl: `ws://127.0.0.1:${port}`, exited };
}
