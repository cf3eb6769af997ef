/**
 * The browser test-call protocol: the dashboard talks to an agent over one WebSocket,
 * `GET /ws/browser/<agent>?callId=<id>&token=<one-time token>` (the call id and token come from
 * `POST /api/agents/<agent>/browser-call`).
 *
 * Audio, both ways, is binary messages of raw PCM: 16 000 Hz, 16-bit signed little-endian, mono,
 * no header. The page sends frames of any whole number of samples (it sends 20 ms = 640 bytes),
 * at most 1 s (32 000 bytes) each; the server sends 20 ms frames (640 bytes).
 *
 * Control is text messages, each a JSON object with an `event`:
 *
 * Page → server:
 * - `{"event":"start"}`: first message; starts the call (audio before it is refused).
 * - `{"event":"mark","name":"<name>"}`: the echo of a server `mark` once the audio sent before it
 *   has been played, or dropped by a `clear`.
 * - `{"event":"stop"}`: the caller hangs up. Closing the socket without it is a lost connection.
 *
 * Server → page:
 * - `{"event":"mark","name":"<name>"}`: echo it (as above).
 * - `{"event":"clear"}`: the caller barged in: drop all bot audio not played yet.
 * - `{"event":"transcript","role":"user"|"bot","text":"…","final":true|false}`: a line of the
 *   live transcript; `final: false` lines are provisional (the recogniser's interim words, or
 *   the part of the bot's turn played so far) and are replaced by the next line of that role.
 * - `{"event":"error","code":"…","message":"…"}`: a message of the page was refused (e.g.
 *   `malformed_json`, `invalid_audio`); the call goes on.
 *
 * The server ends the call by closing the socket: 1000 when the call ended, or a
 * {@link BROWSER_CLOSE_CODES} code when the stream was refused.
 */

/** Wire sample rate of the browser protocol, both ways, Hz. */
export const BROWSER_SAMPLE_RATE_HZ = 16_000;

/** Length of one server audio frame, ms (640 bytes). */
export const BROWSER_FRAME_MS = 20;

/** Longest audio message the page may send, bytes (1 s). */
export const MAX_BROWSER_AUDIO_BYTES = 2 * BROWSER_SAMPLE_RATE_HZ;

/**
 * Close codes (RFC 6455 private range) with which the server refuses a browser stream before
 * its call starts:
 * - `noToken` 4401: the URL carries no call id or token.
 * - `tokenRefused` 4403: the token is wrong, or for another agent or call.
 * - `tokenUsed` 4409: the token was used already (it is good for one connection).
 * - `tokenExpired` 4410: the token was not used in time (see the server's stream wait) and
 *   its call is over.
 * Other closes: 1000 (the call ended), 1008 (a protocol violation, e.g. no `start` in time),
 * 1009 (a message too large), 1011 (a server error).
 */
export const BROWSER_CLOSE_CODES = {
  noToken: 4401,
  tokenRefused: 4403,
  tokenUsed: 4409,
  tokenExpired: 4410,
} as const;

/** A line of the live transcript, as the server sends it. */
export interface BrowserTranscriptLine {
  /** `user`: the caller's words; `bot`: what the caller heard of the agent. */
  readonly role: 'user' | 'bot';
  readonly text: string;
  /** `false`: provisional, replaced by the next line of the same role. */
  readonly final: boolean;
}

/** A text message from the server to the page. */
export type BrowserServerMessage =
  | { readonly event: 'mark'; readonly name: string }
  | { readonly event: 'clear' }
  | ({ readonly event: 'transcript' } & BrowserTranscriptLine)
  | { readonly event: 'error'; readonly code: string; readonly message: string };

/** A text message from the page to the server. */
export type BrowserClientMessage =
  | { readonly event: 'start' }
  | { readonly event: 'mark'; readonly name: string }
  | { readonly event: 'stop' };
