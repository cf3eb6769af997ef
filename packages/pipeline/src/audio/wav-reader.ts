import { readFileSync } from 'node:fs';
import wavefile from 'wavefile';
import { AudioFormatError } from './audio-errors.ts';

/** A decoded WAV file. */
export interface WavAudio {
  /** Samples, 16-bit signed, interleaved when `channels > 1`. */
  readonly pcm: Int16Array;
  /** Sample rate, Hz. */
  readonly sampleRateHz: number;
  /** Channel count. */
  readonly channels: number;
}

interface WavFmt {
  readonly audioFormat: number;
  readonly numChannels: number;
  readonly sampleRate: number;
}

const MULAW_FORMAT = 7;
const ALAW_FORMAT = 6;

/**
 * Read a whole WAV file (for tools and tests: it reads synchronously and holds the file in
 * memory) with `wavefile`. 16-bit PCM is returned as is; µ-law, A-law and other PCM bit
 * depths are converted to 16-bit PCM.
 *
 * @param source a file path, or the file's bytes.
 * @returns the samples (interleaved), sample rate in Hz and channel count.
 * @throws AudioFormatError when the bytes are not a WAV file `wavefile` can decode.
 * @throws the file-system error (e.g. `ENOENT`) when `source` is a path that cannot be read.
 */
export function readWav(source: string | Uint8Array): WavAudio {
  const bytes = typeof source === 'string' ? readFileSync(source) : source;
  const name = typeof source === 'string' ? source : 'WAV buffer';
  try {
    const wav = new wavefile.WaveFile(bytes);
    const format = (wav.fmt as WavFmt).audioFormat;
    if (format === MULAW_FORMAT) wav.fromMuLaw('16');
    else if (format === ALAW_FORMAT) wav.fromALaw('16');
    else if (wav.bitDepth !== '16') wav.toBitDepth('16');
    const fmt = wav.fmt as WavFmt; // read after conversion: wavefile rebuilds its chunks
    const samples: unknown = wav.getSamples(true, Int16Array);
    if (!(samples instanceof Int16Array)) throw new Error('wavefile did not return 16-bit samples');
    return { pcm: samples, sampleRateHz: fmt.sampleRate, channels: fmt.numChannels };
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    throw new AudioFormatError(`cannot read ${name} as WAV: ${message}`, { cause: e });
  }
}
