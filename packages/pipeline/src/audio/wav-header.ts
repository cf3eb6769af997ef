import { open } from 'node:fs/promises';
import { AudioFormatError } from './audio-errors.ts';

/** The RIFF size field is 32-bit: data beyond this cannot be described by a 44-byte header. */
export const MAX_WAV_DATA_BYTES = 0xffff_ffff - 36;
/** Headers longer than this (a data chunk starting later) are not looked for. */
const MAX_HEADER_BYTES = 64 * 1024;

/**
 * Offset of the RIFF sub-chunk `id` (e.g. `'data'`) in the first bytes of a WAV file, walking
 * the chunk list from byte 12; -1 when it is not there.
 */
export function findWavChunk(header: Uint8Array, id: string): number {
  const buf = Buffer.from(header.buffer, header.byteOffset, header.byteLength);
  let offset = 12; // after "RIFF", size, "WAVE"
  while (offset + 8 <= buf.length) {
    if (buf.toString('latin1', offset, offset + 4) === id) return offset;
    const size = buf.readUInt32LE(offset + 4);
    offset += 8 + size + (size % 2);
  }
  return -1;
}

/** What {@link repairWavHeader} found and left in a WAV file. */
export interface RepairedWav {
  /** The file. */
  readonly path: string;
  /** Samples per channel (frames) the header now describes. */
  readonly samples: number;
  /** Length of that audio, ms. */
  readonly durationMs: number;
  /** Sample rate from the `fmt ` chunk, Hz. */
  readonly sampleRateHz: number;
  /** Channel count from the `fmt ` chunk. */
  readonly channels: number;
  /** True when the header's sizes were stale (and have been rewritten) or a torn last frame was cut. */
  readonly repaired: boolean;
}

/**
 * Make the RIFF and `data` sizes of a WAV file match the file's size, for a recording whose
 * writer died before it closed the file (a crash, `kill -9`): its header then says only
 * what was written up to its last header rewrite (see `WavFileWriter`), possibly
 * nothing. The `data` chunk is taken to run to the end of the file, as in files written by
 * `WavFileWriter`; a trailing partial sample frame (a torn last write) is cut off. A header
 * that is already right is left untouched (`repaired: false`).
 *
 * @param path the WAV file, rewritten in place.
 * @returns the format and length the header now gives.
 * @throws AudioFormatError when the file does not start with a RIFF/WAVE header holding a
 *   `fmt ` and a `data` chunk (e.g. cut off before its 44-byte header was complete).
 * @throws the file-system error (e.g. `ENOENT`) when the file cannot be opened, read or written.
 */
export async function repairWavHeader(path: string): Promise<RepairedWav> {
  const file = await open(path, 'r+');
  try {
    const { size } = await file.stat();
    const head = Buffer.alloc(Math.min(size, MAX_HEADER_BYTES));
    await file.read(head, 0, head.length, 0);
    if (
      head.length < 12 ||
      head.toString('latin1', 0, 4) !== 'RIFF' ||
      head.toString('latin1', 8, 12) !== 'WAVE'
    ) {
      throw new AudioFormatError(`${path} does not start with a RIFF/WAVE header`);
    }
    const fmt = findWavChunk(head, 'fmt ');
    const data = findWavChunk(head, 'data');
    if (fmt < 0 || fmt + 24 > head.length || data < 0 || data + 8 > size) {
      throw new AudioFormatError(`${path} has no complete fmt and data chunks in its header`);
    }
    const channels = head.readUInt16LE(fmt + 10);
    const sampleRateHz = head.readUInt32LE(fmt + 12);
    const blockAlign = head.readUInt16LE(fmt + 20);
    if (channels < 1 || sampleRateHz < 1 || blockAlign < 1) {
      throw new AudioFormatError(`${path} has an invalid fmt chunk`);
    }
    const dataStart = data + 8;
    const available = Math.min(size - dataStart, MAX_WAV_DATA_BYTES - (dataStart - 44));
    const dataBytes = available - (available % blockAlign);
    const riffBytes = dataStart - 8 + dataBytes;
    const stale = head.readUInt32LE(4) !== riffBytes || head.readUInt32LE(data + 4) !== dataBytes;
    if (stale) {
      const field = Buffer.alloc(4);
      field.writeUInt32LE(riffBytes, 0);
      await file.write(field, 0, 4, 4);
      field.writeUInt32LE(dataBytes, 0);
      await file.write(field, 0, 4, data + 4);
    }
    const tornBytes = size - dataStart - dataBytes;
    const torn = tornBytes > 0 && tornBytes < blockAlign;
    if (torn) await file.truncate(dataStart + dataBytes);
    const samples = dataBytes / blockAlign;
    return {
      path,
      samples,
      durationMs: (samples * 1000) / sampleRateHz,
      sampleRateHz,
      channels,
      repaired: stale || torn,
    };
  } finally {
    await file.close();
  }
}
