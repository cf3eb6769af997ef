import type { FileHandle } from 'node:fs/promises';
import { mkdir, open } from 'node:fs/promises';
import { dirname } from 'node:path';
import wavefile from 'wavefile';
import { AudioFormatError, WavWriteError } from './audio-errors.ts';
import { pcmToBytes } from './pcm16.ts';
import { findWavChunk, MAX_WAV_DATA_BYTES } from './wav-header.ts';

/** Bytes gathered before one file write (~4 s of 8 kHz mono, ~2 s of 8 kHz stereo). */
const CHUNK_BYTES = 64 * 1024;
/** Default {@link WavFileWriterOptions.headerIntervalMs}. */
const DEFAULT_HEADER_INTERVAL_MS = 5000;

/** Format of a WAV file being written. */
export interface WavFileWriterOptions {
  /** Sample rate, Hz (e.g. 8000). */
  readonly sampleRateHz: number;
  /** Channel count (1 mono, 2 stereo); samples given to `write` are interleaved. */
  readonly channels: number;
  /**
   * Every this much audio, ms, what was written goes to disk and the header's sizes are
   * rewritten, so a process that dies without {@link WavFileWriter.close} leaves a playable
   * file missing at most this much audio at its end. Measured in audio written (no timer):
   * for a live call, about as often in wall time. Default 5000; 0 rewrites only on close.
   */
  readonly headerIntervalMs?: number;
  /**
   * Called once, on the first failure (creating the file, a write, the header, the close):
   * the same error `close()` rejects with.
   */
  readonly onError?: (error: WavWriteError) => void;
}

/** What {@link WavFileWriter.close} wrote. */
export interface WavFileInfo {
  /** The file written. */
  readonly path: string;
  /** Samples per channel (frames). */
  readonly samples: number;
  /** Length of the audio, ms. */
  readonly durationMs: number;
  /** Size of the whole file (header + data), bytes. */
  readonly bytes: number;
}

/**
 * Writes a 16-bit PCM WAV file incrementally, so a recording of any length keeps about
 * 128 KB in memory (the 64 KB buffer being filled and one reused once written, plus whatever
 * the disk has not yet accepted). The 44-byte header comes from
 * `wavefile`; its RIFF and data sizes are rewritten every `headerIntervalMs` of audio and on
 * {@link close}.
 *
 * {@link create} returns at once and creates the file in the background (parent folders
 * too); samples written meanwhile wait in memory. Samples are copied into a 64 KB buffer by
 * {@link write} and written in order, one file operation at a time. A failure does not throw
 * where it happens: further samples are dropped, `options.onError` is called once,
 * {@link error} holds the failure and {@link close} rejects with it. The file handle is
 * closed by {@link close} in every case.
 *
 * @example
 * const w = WavFileWriter.create('recordings/call.wav', { sampleRateHz: 8000, channels: 2 });
 * w.write(stereoFrame);            // per 20 ms
 * const { durationMs } = await w.close();
 */
export class WavFileWriter {
  private chunk: Buffer = Buffer.allocUnsafe(CHUNK_BYTES);
  /**
   * A chunk buffer whose write finished, for reuse: a call's recording cycles through two
   * instead of allocating 64 KB every 2–4 s, which V8 counts as external memory that only a
   * major collection frees (it started one every ~14 s at 150 calls). Buffers freed while this
   * one waits (after a slow disk caught up) are dropped, so the writer never keeps more.
   */
  private spare: Buffer | undefined;
  private fill = 0;
  /** Data bytes accepted by `write` (buffered or queued), bytes. */
  private dataBytes = 0;
  /** Data bytes handed to the write chain, bytes. */
  private queued = 0;
  /** `dataBytes` at which the next header rewrite is due (Infinity: only on close). */
  private nextSyncAt: number;
  private readonly syncBytes: number;
  private file: FileHandle | undefined;
  /** The chain of file operations: creating the file, then writes and header rewrites in order. */
  private tail: Promise<void>;
  private failure: WavWriteError | undefined;
  private closing: Promise<WavFileInfo> | undefined;

  private constructor(
    /** The file being written. */
    readonly path: string,
    /** Sample rate, Hz. */
    readonly sampleRateHz: number,
    /** Channel count. */
    readonly channels: number,
    private readonly header: Buffer,
    private readonly dataSizeOffset: number,
    headerIntervalMs: number,
    private onError: ((error: WavWriteError) => void) | undefined,
  ) {
    const frameBytes = 2 * channels;
    this.syncBytes = Math.max(1, Math.round((headerIntervalMs * sampleRateHz) / 1000)) * frameBytes;
    this.nextSyncAt = headerIntervalMs > 0 ? this.syncBytes : Number.POSITIVE_INFINITY;
    this.tail = this.createFile();
  }

  /**
   * Start writing `path`: returns at once; the file is created (or truncated), with its
   * parent folders and header, in the background. A failure to create it is reported like a
   * write failure (`options.onError`, {@link error}, {@link close} rejects).
   *
   * @throws AudioFormatError for a sample rate, channel count or header interval out of range.
   */
  static create(path: string, options: WavFileWriterOptions): WavFileWriter {
    const { sampleRateHz, channels } = options;
    const headerIntervalMs = options.headerIntervalMs ?? DEFAULT_HEADER_INTERVAL_MS;
    if (!Number.isInteger(sampleRateHz) || sampleRateHz < 1) {
      throw new AudioFormatError(`sampleRateHz must be a positive integer, got ${sampleRateHz}`);
    }
    if (!Number.isInteger(channels) || channels < 1 || channels > 65535) {
      throw new AudioFormatError(`channels must be an integer 1..65535, got ${channels}`);
    }
    if (!Number.isFinite(headerIntervalMs) || headerIntervalMs < 0) {
      throw new AudioFormatError(`headerIntervalMs must be 0 or more, got ${headerIntervalMs}`);
    }
    const wav = new wavefile.WaveFile();
    wav.fromScratch(channels, sampleRateHz, '16', []);
    const header = Buffer.from(wav.toBuffer());
    const dataId = findWavChunk(header, 'data');
    if (dataId < 0) throw new AudioFormatError('wavefile produced a header without a data chunk');
    return new WavFileWriter(
      path,
      sampleRateHz,
      channels,
      header,
      dataId + 4,
      headerIntervalMs,
      options.onError,
    );
  }

  /**
   * Like {@link create}, but resolves once the file exists with its header.
   *
   * @throws AudioFormatError for a sample rate, channel count or header interval out of range.
   * @throws WavWriteError when the folder or file cannot be created or written (nothing is
   *   left open; `options.onError` is not called for it).
   */
  static async open(path: string, options: WavFileWriterOptions): Promise<WavFileWriter> {
    const { onError, ...rest } = options;
    const writer = WavFileWriter.create(path, rest);
    await writer.tail;
    if (writer.failure) {
      await writer.close().catch(() => undefined);
      throw writer.failure;
    }
    writer.onError = onError;
    return writer;
  }

  /** The first failure, if any. */
  get error(): WavWriteError | undefined {
    return this.failure;
  }

  /**
   * Append samples. They are copied, so the caller may reuse `pcm` at once.
   *
   * @param pcm 16-bit samples, interleaved when `channels > 1`; length a multiple of `channels`.
   * @throws AudioFormatError when `pcm.length` is not a multiple of `channels`.
   * @throws WavWriteError when called after {@link close}.
   */
  write(pcm: Int16Array): void {
    if (this.closing) throw new WavWriteError('write after close', this.path);
    if (pcm.length % this.channels !== 0) {
      throw new AudioFormatError(`${pcm.length} samples is not a multiple of ${this.channels} channels`);
    }
    if (this.failure) return;
    let bytes = pcmToBytes(pcm);
    if (this.dataBytes + bytes.length > MAX_WAV_DATA_BYTES) {
      this.fail(new WavWriteError('WAV size limit (4 GiB) reached; later audio is dropped', this.path));
      const room = MAX_WAV_DATA_BYTES - this.dataBytes;
      bytes = bytes.subarray(0, room - (room % (2 * this.channels)));
    }
    this.dataBytes += bytes.length;
    let offset = 0;
    while (offset < bytes.length) {
      const n = Math.min(bytes.length - offset, CHUNK_BYTES - this.fill);
      this.chunk.set(bytes.subarray(offset, offset + n), this.fill);
      this.fill += n;
      offset += n;
      if (this.fill === CHUNK_BYTES) this.flushChunk();
    }
    if (this.dataBytes >= this.nextSyncAt) this.sync();
  }

  /**
   * Write what is buffered, rewrite the header sizes and close the file. Idempotent: later
   * calls return the same promise. Succeeds with zero samples (a valid, empty WAV).
   *
   * @throws WavWriteError (as a rejection) when creating the file, any write, the header or
   *   the close failed; the file handle is closed in every case.
   */
  close(): Promise<WavFileInfo> {
    this.closing ??= this.finish();
    return this.closing;
  }

  private async finish(): Promise<WavFileInfo> {
    if (this.fill > 0) this.flushChunk();
    this.queueHeader();
    await this.tail;
    const file = this.file;
    this.file = undefined;
    try {
      await file?.close();
    } catch (e) {
      this.fail(new WavWriteError(`could not close ${this.path}: ${errorText(e)}`, this.path, { cause: e }));
    }
    if (this.failure) throw this.failure;
    const samples = this.queued / (2 * this.channels);
    return {
      path: this.path,
      samples,
      durationMs: (samples * 1000) / this.sampleRateHz,
      bytes: this.header.length + this.queued,
    };
  }

  private async createFile(): Promise<void> {
    try {
      await mkdir(dirname(this.path), { recursive: true });
      this.file = await open(this.path, 'w');
      await writeFully(this.file, this.header, 0);
    } catch (e) {
      this.fail(new WavWriteError(`could not create ${this.path}: ${errorText(e)}`, this.path, { cause: e }));
    }
  }

  /** Sends what is buffered to the disk and rewrites the header after it. */
  private sync(): void {
    while (this.nextSyncAt <= this.dataBytes) this.nextSyncAt += this.syncBytes;
    if (this.fill > 0) this.flushChunk();
    this.queueHeader();
  }

  /**
   * Hands the buffered samples to the write chain; the buffer goes back to {@link spare} once
   * written (or skipped after a failure), never earlier.
   */
  private flushChunk(): void {
    const buffer = this.chunk;
    const data = this.fill === CHUNK_BYTES ? buffer : buffer.subarray(0, this.fill);
    this.chunk = this.spare ?? Buffer.allocUnsafe(CHUNK_BYTES);
    this.spare = undefined;
    const position = this.header.length + this.queued;
    this.queued += data.length;
    this.fill = 0;
    this.queueOp(
      `could not write ${this.path}`,
      (file) => writeFully(file, data, position),
      () => {
        this.spare ??= buffer;
      },
    );
  }

  /** Queues a rewrite of the header saying the data written so far (after those writes). */
  private queueHeader(): void {
    const header = Buffer.from(this.header);
    header.writeUInt32LE(this.header.length - 8 + this.queued, 4);
    header.writeUInt32LE(this.queued, this.dataSizeOffset);
    this.queueOp(`could not update the header of ${this.path}`, (file) => writeFully(file, header, 0));
  }

  /** Queues `op` after the earlier ones; `settled` runs once it is done, failed or skipped. */
  private queueOp(what: string, op: (file: FileHandle) => Promise<void>, settled?: () => void): void {
    this.tail = this.tail.then(async () => {
      try {
        if (this.failure || !this.file) return;
        await op(this.file);
      } catch (e) {
        this.fail(new WavWriteError(`${what}: ${errorText(e)}`, this.path, { cause: e }));
      } finally {
        settled?.();
      }
    });
  }

  private fail(error: WavWriteError): void {
    if (this.failure) return;
    this.failure = error;
    try {
      this.onError?.(error);
    } catch {
      // A throwing callback must not break the write chain; close() still reports the error.
    }
  }
}

/** Writes all of `data` at `position` (a file write may be partial). */
async function writeFully(file: FileHandle, data: Uint8Array, position: number): Promise<void> {
  let done = 0;
  while (done < data.length) {
    const { bytesWritten } = await file.write(data, done, data.length - done, position + done);
    done += bytesWritten;
  }
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
