/**
 * The largest media-stream message we take from each provider, bytes. A longer one closes the
 * stream with 1009 (message too big) before it is parsed. Each is the provider's largest
 * documented message with a wide margin:
 * - Twilio sends 20 ms of 8 kHz µ-law per `media` message (160 bytes, about 400 bytes of
 *   JSON) and a `start` of a few hundred bytes plus our custom parameters
 *   (https://www.twilio.com/docs/voice/media-streams/websocket-messages). 16 KiB also holds
 *   a whole second of audio.
 * - Vobiz sends 20 ms frames: at most 960 bytes (16-bit PCM at 24 kHz), 1.3 k characters of
 *   base64 (https://docs.vobiz.ai/xml/stream/stream-events). 32 KiB holds half a second of that.
 * - Exotel sends about 100 ms a message: 3200 bytes of 16-bit PCM at 8 kHz, 9600 at 24 kHz
 *   (12.8 k characters of base64; https://developer.exotel.com/docs/agentstream/websocket-protocol).
 *   64 KiB is five times that.
 * - The dashboard's browser test call sends 20 ms binary frames of 16 kHz 16-bit PCM (640
 *   bytes); its serializer refuses audio messages over 1 s (32 000 bytes). 64 KiB is twice that.
 */
import type { TransportName } from '@parley/telephony';

/** The largest message each provider's media stream may send, bytes. */
export const MAX_STREAM_MESSAGE_BYTES: Readonly<Record<TransportName, number>> = {
  twilio: 16 * 1024,
  browser: 64 * 1024,
  vobiz: 32 * 1024,
  exotel: 64 * 1024,
};

/**
 * The WebSocket server's own limit (`maxPayload`), bytes: the largest of
 * {@link MAX_STREAM_MESSAGE_BYTES}, so `ws` never buffers a longer message for anyone.
 */
export const MAX_WEBSOCKET_PAYLOAD_BYTES = Math.max(...Object.values(MAX_STREAM_MESSAGE_BYTES));
