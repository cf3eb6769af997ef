import type { FileHandle } from 'node:fs/promises';
import { mkdir, open } from 'node:fs/promises';
import { dirname } from 'node:path';
import wavefile from 'wavefile';
import { AudioFormatError, WavWriteError } from './audio-errors.ts';
import { pcmToBytes } from './pcm16.ts';

/** Bytes gathered before one file write (~4 s of 8 kHz mono, ~2 s of 8 kHz stereo). */
const CHUNK_BYTES = 64 * 1024;
/** The RIFF size field is 32-bit: data beyond this cannot be described by the header. */
const MAX_DATA_BYTES = 0xffff_ffff - 36;

/** Format of a WAV file being written. */
export interface WavFileWriterOptions {
  /** Sample rate, Hz (e.g. 8000). */
  readonly sampleRateHz: number;
  /** Channel count (1 mono, 2 stereo); samples given to `write` are interleaved. */
  readonly channels: number;
  /** Called once, on the first write failure (the same error `close()` rejects with). */
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
 * Writes a 16-bit PCM WAV file incrementally, so a recording of any length keeps only
 * ~64 KB in memory (plus whatever the disk has not yet accepted). The 44-byte header comes from
 * `wavefile`; its RIFF and data sizes are patched on {@link close}.
 *
 * Samples are copied into a 64 KB buffer by {@link write} and written in order, one write at
 * a time. A write failure does not throw where it happens: further samples are dropped,
 * `options.onError` is called once, {@link error} holds the failure and {@link close}
 * rejects with it.
 *
 * @example
 * const w = await WavFileWriter.open('recordings/call.wav', { sampleRateHz: 8000, channels: 2 });
 * w.write(stereoFrame);            // per 20 ms
 * const { durationMs } = await w.close();
 */
export class WavFileWriter {
  private chunk = Buffer.allocUnsafe(CHUNK_BYTES);
  private fill = 0;
  /** Data bytes accepted by `write` (buffered or queued), bytes. */
  private dataBytes = 0;
  /** Data bytes handed to the write chain, bytes. */
  private queued = 0;
  private tail: Promise<void> = Promise.resolve();
  private failure: WavWriteError | undefined;
  private closing: Promise<WavFileInfo> | undefined;

  private constructor(
    /** The file being written. */
    readonly path: string,
    /** Sample rate, Hz. */
    readonly sampleRateHz: number,
    /** Channel count. */
    readonly channels: number,
    private readonly file: FileHandle,
    private readonly header: Uint8Array,
    private readonly dataSizeOffset: number,
    private readonly onError: ((error: WavWriteError) => void) | undefined,
  ) {}

  /**
   * Create (or truncate) `path`, creating its parent folders, and write the WAV header.
   *
   * @throws AudioFormatError for a sample rate or channel count out of range.
   * @throws WavWriteError when the folder or file cannot be created or written.
   */
  static async open(path: string, options: WavFileWriterOptions): Promise<WavFileWriter> {
    const { sampleRateHz, channels } = options;
    if (!Number.isInteger(sampleRateHz) || sampleRateHz < 1) {
      throw new AudioFormatError(`sampleRateHz must be a positive integer, got ${sampleRateHz}`);
    }
    if (!Number.isInteger(channels) || channels < 1 || channels > 65535) {
      throw new AudioFormatError(`channels must be an integer 1..65535, got ${channels}`);
    }
    const wav = new wavefile.WaveFile();
    wav.fromScratch(channels, sampleRateHz, '16', []);
    const header = wav.toBuffer();
    const dataId = findChunk(header, 'data');
    if (dataId < 0) throw new WavWriteError('wavefile produced a header without a data chunk', path);
    let file: FileHandle | undefined;
    try {
      await mkdir(dirname(path), { recursive: true });
      file = await open(path, 'w');
      await writeFully(file, header, 0);
    } catch (e) {
      await file?.close().catch(() => undefined);
      throw new WavWriteError(`could not create ${path}: ${errorText(e)}`, path, { cause: e });
    }
    return new WavFileWriter(path, sampleRateHz, channels, file, header, dataId + 4, options.onError);
  }

  /** The first write failure, if any. */
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
    if (this.dataBytes + bytes.length > MAX_DATA_BYTES) {
      this.fail(new WavWriteError('WAV size limit (4 GiB) reached; later audio is dropped', this.path));
      const room = MAX_DATA_BYTES - this.dataBytes;
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
  }

  /**
   * Write what is buffered, patch the header sizes and close the file. Idempotent: later
   * calls return the same promise. Succeeds with zero samples (a valid, empty WAV).
   *
   * @throws WavWriteError (as a rejection) when any write, the header patch or the close failed;
   *   the file is closed in every case.
   */
  close(): Promise<WavFileInfo> {
    this.closing ??= this.finish();
    return this.closing;
  }

  private async finish(): Promise<WavFileInfo> {
    if (this.fill > 0) this.flushChunk();
    await this.tail;
    try {
      if (!this.failure) {
        const sizes = Buffer.alloc(4);
        sizes.writeUInt32LE(this.header.length - 8 + this.queued, 0);
        await writeFully(this.file, sizes, 4);
        sizes.writeUInt32LE(this.queued, 0);
        await writeFully(this.file, sizes, this.dataSizeOffset);
      }
    } catch (e) {
      this.fail(
        new WavWriteError(`could not patch the header of ${this.path}: ${errorText(e)}`, this.path, {
          cause: e,
        }),
      );
    }
    try {
      await this.file.close();
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

  /** Hands the full (or final) chunk to the write chain and starts a new one. */
  private flushChunk(): void {
    const data = this.chunk.subarray(0, this.fill);
    const position = this.header.length + this.queued;
    this.queued += data.length;
    this.chunk = Buffer.allocUnsafe(CHUNK_BYTES);
    this.fill = 0;
    this.tail = this.tail.then(async () => {
      if (this.failure) return;
      try {
        await writeFully(this.file, data, position);
      } catch (e) {
        this.fail(
          new WavWriteError(`could not write ${this.path}: ${errorText(e)}`, this.path, { cause: e }),
        );
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

/** Offset of the RIFF sub-chunk `id` in a WAV header (walking the chunk list), or -1. */
function findChunk(header: Uint8Array, id: string): number {
  const buf = Buffer.from(header.buffer, header.byteOffset, header.byteLength);
  let offset = 12; // after "RIFF", size, "WAVE"
  while (offset + 8 <= buf.length) {
    if (buf.toString('latin1', offset, offset + 4) === id) return offset;
    const size = buf.readUInt32LE(offset + 4);
    offset += 8 + size + (size % 2);
  }
  return -1;
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
