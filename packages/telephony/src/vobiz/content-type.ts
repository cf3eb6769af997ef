/**
 * Vobiz stream audio formats: the `<Stream contentType>` values and the `start.mediaFormat`
 * they produce (https://docs.vobiz.ai/xml/stream, "contentType";
 * https://docs.vobiz.ai/xml/stream/initiate).
 */

/** A `<Stream contentType>` value: µ-law at 8 kHz, or 16-bit linear PCM at 8, 16 or 24 kHz. */
export type VobizContentType =
  | 'audio/x-mulaw;rate=8000'
  | 'audio/x-l16;rate=8000'
  | 'audio/x-l16;rate=16000'
  | 'audio/x-l16;rate=24000';

/** Every {@link VobizContentType}. */
export const VOBIZ_CONTENT_TYPES: readonly VobizContentType[] = [
  'audio/x-mulaw;rate=8000',
  'audio/x-l16;rate=8000',
  'audio/x-l16;rate=16000',
  'audio/x-l16;rate=24000',
];

/**
 * The format Parley asks for and assumes when told nothing: µ-law at 8 kHz (no byte-order
 * question, least bandwidth). Vobiz's own default, when `<Stream>` has no `contentType`, is
 * `audio/x-l16;rate=8000`, so our answer always states it.
 */
export const VOBIZ_DEFAULT_CONTENT_TYPE: VobizContentType = 'audio/x-mulaw;rate=8000';

/** A Vobiz wire format, decoded. */
export interface VobizWireFormat {
  /** `mulaw` (one byte a sample) or `pcm16` (two). */
  readonly encoding: 'mulaw' | 'pcm16';
  /** The `mediaFormat.encoding` / `playAudio.media.contentType` spelling. */
  readonly wireEncoding: 'audio/x-mulaw' | 'audio/x-l16';
  /** Samples a second, Hz. */
  readonly sampleRateHz: number;
}

/**
 * The format of a `start.mediaFormat` (`encoding` `audio/x-mulaw` or `audio/x-l16`, any case,
 * optionally with `;rate=N`; `sampleRate` a number) or a {@link VobizContentType}.
 *
 * @returns The format, or `undefined` when it is not one Vobiz streams: µ-law at other than
 *   8000 Hz, L16 at other than 8000/16000/24000 Hz, another encoding, or no rate at all.
 */
export function vobizWireFormat(encoding: string, sampleRateHz?: number): VobizWireFormat | undefined {
  const [type = '', ...params] = encoding
    .toLowerCase()
    .split(';')
    .map((part) => part.trim());
  const rateParam = params.find((p) => p.startsWith('rate='))?.slice('rate='.length);
  const rate =
    sampleRateHz ?? (rateParam !== undefined && /^\d{4,5}$/.test(rateParam) ? Number(rateParam) : undefined);
  if (type === 'audio/x-mulaw') {
    return rate === 8000
      ? { encoding: 'mulaw', wireEncoding: 'audio/x-mulaw', sampleRateHz: 8000 }
      : undefined;
  }
  if (type === 'audio/x-l16' && (rate === 8000 || rate === 16000 || rate === 24000)) {
    return { encoding: 'pcm16', wireEncoding: 'audio/x-l16', sampleRateHz: rate };
  }
  return undefined;
}
