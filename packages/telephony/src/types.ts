/**
 * The provider-neutral contract between the server's WebSocket transport and a telephony
 * provider's wire protocol. Each provider (Twilio, Exotel, Vobiz) implements
 * {@link TelephonySerializer}; the server never sees provider JSON.
 */

/** The telephony providers Parley speaks to. */
export type ProviderName = 'twilio' | 'exotel' | 'vobiz';

/**
 * Where a call's media stream comes from: a telephony provider, or `browser` (a test call from
 * the dashboard, see `BrowserSerializer`), which has no webhooks or REST API.
 */
export type TransportName = ProviderName | 'browser';

/** Audio format of a provider stream, as the provider announced it. */
export interface MediaFormat {
  /**
   * `mulaw`: G.711 µ-law, 8 bits a sample; `pcm16`: signed 16-bit linear PCM (little-endian on
   * Exotel; Vobiz sends it big-endian and takes it little-endian: the serializer handles that).
   */
  encoding: 'mulaw' | 'pcm16';
  /** Samples a second per channel, Hz (8000 on the phone). */
  sampleRateHz: number;
  /** Channel count (1 on the phone). */
  channels: number;
}

/**
 * One message from the provider, decoded. Audio is always 16-bit signed mono PCM here,
 * whatever the wire encoding.
 *
 * - `connected`: the socket is up; nothing is known about the call yet.
 * - `start`: the stream is identified. `streamId` names the stream in outbound messages,
 *   `callId` is the provider's call id (Twilio `CallSid`, Exotel `call_sid`, Vobiz `callId` =
 *   `CallUUID`), `customParameters` are the values our answer attached to the stream (Twilio
 *   `<Parameter>`s, Exotel URL query pairs, Vobiz `extraHeaders`), `mediaFormat` is the wire
 *   format, `from`/`to` the caller's and the called number when the provider sends them
 *   (Exotel does). Vobiz may send `start` again on the same call after a reconnect: the
 *   serializer then reports it again, with the new `streamId`.
 * - `media`: caller audio; `timestampMs` is ms since the stream started, `sequence` the
 *   provider's media chunk counter, when the provider sends them.
 * - `mark`: the provider echoed a mark we sent: the audio before it was played, or cleared
 *   (Vobiz `playedStream`, the echo of a `checkpoint`, comes only when it was played).
 * - `cleared`: the provider confirmed that it dropped the audio it had buffered (Vobiz
 *   `clearedAudio`); Twilio and Exotel send no such acknowledgement.
 * - `dtmf`: a key press, one of `0-9`, `*`, `#`, `A-D`.
 * - `stop`: the provider ends the stream (the call hung up or the stream was stopped); `reason`
 *   when the provider gives one (Exotel `stop.reason`). Vobiz sends no `stop`: its stream
 *   ends when the socket closes.
 * - `unknown`: a well-formed message whose `event` this serializer does not handle; ignore it.
 */
export type ProviderEvent =
  | { type: 'connected' }
  | {
      type: 'start';
      streamId: string;
      callId: string;
      accountId?: string;
      customParameters: Record<string, string>;
      mediaFormat: MediaFormat;
      tracks?: string[];
      from?: string;
      to?: string;
    }
  | { type: 'media'; audio: Int16Array; sampleRateHz: number; timestampMs?: number; sequence?: number }
  | { type: 'mark'; name: string }
  | { type: 'cleared' }
  | { type: 'dtmf'; digit: string }
  | { type: 'stop'; reason?: string }
  | { type: 'unknown'; event: string };

/**
 * Translates one call's WebSocket text messages to {@link ProviderEvent}s and our audio, marks
 * and clears to the provider's messages. Stateful: one instance per call (it remembers the
 * stream id from `start`, which outbound messages need). Not safe to share between calls.
 */
export interface TelephonySerializer {
  /** The provider (or the browser) this serializer speaks to. */
  readonly provider: TransportName;
  /**
   * Parse one text message from the provider.
   * @throws {@link ProviderProtocolError} when the message is not valid for the protocol (see
   *   its `code`); the caller decides whether to skip the message or end the call.
   */
  parse(message: string): ProviderEvent;
  /**
   * Parse one binary message, for protocols that carry audio in binary frames (the browser).
   * Optional: without it, binary frames are not part of the protocol.
   * @throws {@link ProviderProtocolError} when the message is not valid for the protocol.
   */
  parseBinary?(data: Uint8Array): ProviderEvent;
  /**
   * The wire message that plays `pcm` (16-bit mono at `sampleRateHz`, already chunked by the
   * caller to {@link outputChunkMs}).
   * @throws {@link ProviderProtocolError} `not_started`, `unsupported_sample_rate`, `invalid_audio`.
   */
  encodeAudio(pcm: Int16Array, sampleRateHz: number): string | Uint8Array;
  /**
   * The wire message that asks the provider to echo `name` once the audio sent before it has
   * been played (or cleared).
   * @throws {@link ProviderProtocolError} `not_started`.
   */
  encodeMark(name: string): string;
  /**
   * The wire message that drops the audio the provider has buffered but not played (barge-in).
   * @throws {@link ProviderProtocolError} `not_started`.
   */
  encodeClear(): string;
  /**
   * The wire message that ends the stream from our side (which hangs up the call when nothing
   * follows the stream in the provider's call flow), or `undefined` when there is nothing to
   * send: the protocol has no such message (Twilio, Exotel: close the socket instead), or the
   * stream has not started. Send it, then close the socket when the provider has not.
   * Optional: a serializer without it has no such message.
   */
  encodeHangup?(): string | undefined;
  /**
   * The wire message that tells the other end a message of its was refused (`code`: a
   * `ProviderProtocolError` code, or the server's own), for protocols that have one (the
   * browser). Optional: providers are not told.
   */
  encodeError?(code: string, message: string): string;
  /**
   * Whether the provider ends a call's stream with a `stop` message (Twilio, Exotel). When
   * `false` (Vobiz, https://docs.vobiz.ai/xml/stream/stream-events), the socket closing is the
   * normal end of a call, not a lost connection.
   */
  readonly sendsStop: boolean;
  /**
   * Length of one outbound audio chunk, ms: 20 for Twilio and Vobiz; for Exotel it depends on
   * the stream's rate (see `ExotelSerializer.outputChunkMs`), so read it after `start`.
   */
  readonly outputChunkMs: number;
  /**
   * Sample rate of the wire audio, Hz; `media` events and {@link encodeAudio} use it. Final
   * once `start` was parsed (Exotel and Vobiz announce it there).
   */
  readonly sampleRateHz: number;
}
