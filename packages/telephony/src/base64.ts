/**
 * Base64 for provider audio payloads (RFC 4648 standard alphabet, with padding), as Twilio,
 * Exotel and Vobiz carry raw audio in their JSON messages.
 */

const EQUALS = 0x3d;

/**
 * Decodes standard base64, or returns `undefined` when `text` is not base64. Node's decoder
 * silently skips characters outside the alphabet and stops at an early `=`, so any such
 * character leaves the decoded length short of the length the text implies; comparing the two
 * costs nothing beyond the decode. Node also decodes the URL-safe alphabet (`-`, `_`); such
 * payloads are accepted, as they decode unambiguously.
 *
 * (All three serializers decode `media` payloads with it, through `decodeAudioPayload` in
 * `audio-payload.ts`.)
 *
 * @returns The bytes (a `Buffer`, for small payloads a slice of Node's shared pool), or
 *   `undefined` for empty text, a length that is not a multiple of 4, or a character that is
 *   not base64.
 */
export function decodeBase64Strict(text: string): Buffer | undefined {
  const n = text.length;
  if (n === 0 || n % 4 !== 0) return undefined;
  const padding = text.charCodeAt(n - 1) === EQUALS ? (text.charCodeAt(n - 2) === EQUALS ? 2 : 1) : 0;
  const bytes = Buffer.from(text, 'base64');
  return bytes.length === (n / 4) * 3 - padding ? bytes : undefined;
}

/** Standard base64 (with padding) of `bytes`, without copying them. */
export function encodeBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

/** Base64 characters of `bytes` bytes (with padding). */
export function base64Length(bytes: number): number {
  return Math.ceil(bytes / 3) * 4;
}
