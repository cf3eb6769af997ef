/**
 * The filesystem store of call recordings (`RECORDINGS_DIR`): names new recordings and
 * finds stored ones without ever leaving its root directory.
 */
import type { ReadStream } from 'node:fs';
import { open, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { RecordingPathError, recordingPath } from './paths.ts';

/** A recording file found by {@link RecordingStore.stat}. */
export interface RecordingInfo {
  /** Absolute path with symlinks resolved; always inside the store's root. */
  readonly path: string;
  readonly sizeBytes: number;
  readonly modifiedAt: Date;
}

/** An opened recording: its file and a stream of its bytes (or of the requested range). */
export interface OpenedRecording {
  readonly info: RecordingInfo;
  /** Closes the file when it ends or errors; destroy it if you stop reading early. */
  readonly stream: ReadStream;
}

/** A byte range of a file, both ends inclusive, as in an HTTP `Range` header. */
export interface ByteRange {
  readonly start: number;
  readonly end: number;
}

/** A stored recording path is inside the root but no file is there (never written, or deleted). */
export class RecordingNotFoundError extends Error {
  override readonly name = 'RecordingNotFoundError';

  /** @param storedPath - The stored path that was looked up. */
  constructor(readonly storedPath: string) {
    super(`No recording file at ${JSON.stringify(storedPath)}`);
  }
}

/** Options of {@link RecordingStore}. */
export interface RecordingStoreOptions {
  /**
   * Directory that relative stored paths are also tried against, after the root: paths written
   * relative to the server's working directory (e.g. `recordings/2025/01/<id>.wav`) still resolve.
   * @defaultValue `process.cwd()` at the time of the lookup
   */
  readonly cwd?: string;
}

/**
 * Recordings under one root directory, laid out as `YYYY/MM/<callId>.wav` (UTC).
 *
 * Stored paths (a call's `recordingPath`) may be absolute, relative to the root (preferred:
 * {@link RecordingStore.toStoredPath}, which survives moving the root), or relative to the
 * working directory. Whatever the form, a stored path is only ever resolved to a file inside
 * the root, symlinks included; anything else throws {@link RecordingPathError}.
 */
export class RecordingStore {
  /** The root directory, absolute. */
  readonly root: string;
  private readonly cwd: string | undefined;

  /** @param root - The recordings directory; relative paths resolve against the working directory. */
  constructor(root: string, options: RecordingStoreOptions = {}) {
    this.root = path.resolve(root);
    this.cwd = options.cwd;
  }

  /**
   * Where to write the recording of a call that started at `date`: `<root>/YYYY/MM/<callId>.wav`, absolute.
   * @throws {@link RecordingPathError} if `callId` is not a UUID.
   * @throws RangeError if `date` is an invalid Date.
   */
  pathFor(callId: string, date: Date): string {
    return recordingPath(this.root, callId, date);
  }

  /**
   * The form of `file` to store in the call's row: relative to the root, `/`-separated
   * (e.g. `2025/01/<callId>.wav`).
   * @param file - Absolute, or relative to the working directory.
   * @throws {@link RecordingPathError} if `file` is not inside the root.
   */
  toStoredPath(file: string): string {
    const relative = path.relative(this.root, path.resolve(file));
    if (!isInsideRelative(relative)) throw new RecordingPathError(file, 'not inside the recordings root');
    return relative.split(path.sep).join('/');
  }

  /**
   * Finds the recording at `storedPath` (see the class notes for the accepted forms).
   * @returns the file, or `undefined` if nothing (or no regular file) is there.
   * @throws {@link RecordingPathError} if `storedPath` is empty or points outside the root.
   */
  async stat(storedPath: string): Promise<RecordingInfo | undefined> {
    if (storedPath === '' || storedPath.includes('\0')) {
      throw new RecordingPathError(storedPath, 'empty or contains a NUL byte');
    }
    const candidates = this.candidates(storedPath).filter((candidate) =>
      isInsideRelative(path.relative(this.root, candidate)),
    );
    if (candidates.length === 0) throw new RecordingPathError(storedPath, 'not inside the recordings root');

    const realRoot = await realpathOrUndefined(this.root);
    if (realRoot === undefined) return undefined;
    for (const candidate of candidates) {
      const real = await realpathOrUndefined(candidate);
      if (real === undefined) continue;
      if (!isInsideRelative(path.relative(realRoot, real))) {
        throw new RecordingPathError(storedPath, 'resolves (through a symlink) outside the recordings root');
      }
      const stats = await stat(real);
      if (stats.isFile()) return { path: real, sizeBytes: stats.size, modifiedAt: stats.mtime };
    }
    return undefined;
  }

  /**
   * Opens the recording at `storedPath` for reading, whole or a byte range of it.
   * @throws {@link RecordingPathError} if `storedPath` points outside the root.
   * @throws {@link RecordingNotFoundError} if no file is there.
   * @throws RangeError if `range` is not within the file (`0 <= start <= end < sizeBytes`).
   */
  async open(storedPath: string, range?: ByteRange): Promise<OpenedRecording> {
    const info = await this.stat(storedPath);
    if (info === undefined) throw new RecordingNotFoundError(storedPath);
    if (
      range !== undefined &&
      !(
        Number.isInteger(range.start) &&
        Number.isInteger(range.end) &&
        range.start >= 0 &&
        range.start <= range.end &&
        range.end < info.sizeBytes
      )
    ) {
      throw new RangeError(`Byte range ${range.start}-${range.end} is not within ${info.sizeBytes} bytes`);
    }
    let handle: Awaited<ReturnType<typeof open>>;
    try {
      handle = await open(info.path, 'r');
    } catch (error) {
      if (isNotFound(error)) throw new RecordingNotFoundError(storedPath);
      throw error;
    }
    const stream = handle.createReadStream(range ? { start: range.start, end: range.end } : {});
    return { info, stream };
  }

  private candidates(storedPath: string): string[] {
    if (path.isAbsolute(storedPath)) return [path.resolve(storedPath)];
    const fromRoot = path.resolve(this.root, storedPath);
    const fromCwd = path.resolve(this.cwd ?? process.cwd(), storedPath);
    return fromRoot === fromCwd ? [fromRoot] : [fromRoot, fromCwd];
  }
}

/** Whether a `path.relative(root, x)` result names something strictly inside `root`. */
function isInsideRelative(relative: string): boolean {
  return (
    relative !== '' &&
    relative !== '..' &&
    !relative.startsWith(`..${path.sep}`) &&
    !path.isAbsolute(relative)
  );
}

async function realpathOrUndefined(file: string): Promise<string | undefined> {
  try {
    return await realpath(file);
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

function isNotFound(error: unknown): boolean {
  return (
    typeof error === 'object' &&
    error !== null &&
    'code' in error &&
    (error.code === 'ENOENT' || error.code === 'ENOTDIR')
  );
}
