/**
 * Exotel AgentStream sample rates: 16-bit PCM at 8000 Hz (the default), 16000 or 24000 Hz,
 * chosen with `?sample-rate=` on the stream URL
 * (https://developer.exotel.com/docs/agentstream/stream-voicebot-applet, "Sample Rate").
 */
export type ExotelSampleRateHz = 8000 | 16000 | 24000;

/** The rates Exotel streams at, Hz. */
export const EXOTEL_SAMPLE_RATES: readonly ExotelSampleRateHz[] = [8000, 16000, 24000];

/** Exotel's rate when none is asked for, Hz. */
export const EXOTEL_DEFAULT_SAMPLE_RATE_HZ: ExotelSampleRateHz = 8000;

/** Whether `value` is one of {@link EXOTEL_SAMPLE_RATES}. */
export function isExotelSampleRate(value: number): value is ExotelSampleRateHz {
  return (EXOTEL_SAMPLE_RATES as readonly number[]).includes(value);
}

/**
 * The rate asked for in a stream URL's query string (`sample-rate=16000`; Exotel's own samples
 * also read `sample_rate`), for `new ExotelSerializer({ sampleRateHz })` on the WebSocket
 * upgrade.
 *
 * @param query - The query string (with or without `?`) or its parsed parameters.
 * @returns The rate, or `undefined` when none is given or it is not 8000, 16000 or 24000.
 */
export function exotelSampleRateFromQuery(query: string | URLSearchParams): ExotelSampleRateHz | undefined {
  const params = typeof query === 'string' ? new URLSearchParams(query) : query;
  const raw = params.get('sample-rate') ?? params.get('sample_rate');
  if (raw === null || !/^\d{4,5}$/.test(raw)) return undefined;
  const rate = Number(raw);
  return isExotelSampleRate(rate) ? rate : undefined;
}
