import type {
  RealtimeClientEvent,
  RealtimeServerEvent,
  RealtimeTranscriptionSessionCreateRequest,
} from 'openai/resources/realtime/realtime';
import WebSocket from 'ws';
import { STTConfigurationError, STTConnectionError, type STTError } from '../errors.ts';

/** Where and how to open a Realtime transcription session. */
export interface TranscriptionSocketOptions {
  /** REST base URL with the version path, e.g. `https://api.openai.com/v1`. */
  readonly baseUrl: string;
  readonly apiKey: string;
  /** The `session` of the `session.update` sent once the socket opens. */
  readonly session: RealtimeTranscriptionSessionCreateRequest;
  /** Time allowed for the handshake and the `session.updated` answer, ms. */
  readonly timeoutMs: number;
  readonly signal: AbortSignal;
  /** Each server event after `session.updated`, in order, with the socket it came on. */
  readonly onEvent: (event: RealtimeServerEvent, ws: WebSocket) => void;
  /** The socket closed after the session was confirmed (either side, or dropped). */
  readonly onClose: (ws: WebSocket) => void;
}

/**
 * `wss://…/v1/realtime?intent=transcription` from the REST base URL (`https` → `wss`, `http` →
 * `ws` for a loopback fake). A transcription session is opened by `intent`, with no `model` in
 * the URL (https://platform.openai.com/docs/guides/realtime-transcription): a model-based URL
 * opens a conversation session that refuses the transcription `session.update`.
 */
export function transcriptionUrl(baseUrl: string): string {
  const url = new URL(`${baseUrl.replace(/\/+$/, '')}/realtime`);
  url.protocol = url.protocol === 'http:' ? 'ws:' : 'wss:';
  url.searchParams.set('intent', 'transcription');
  return url.toString();
}

/**
 * Opens a Realtime transcription WebSocket (`Authorization: Bearer <key>`), sends the
 * `session.update` and resolves once `session.updated` confirms it.
 *
 * @throws STTConfigurationError on HTTP 401/403 (key), 400/404 (endpoint or options) or an
 *   `error` event answering the `session.update` (e.g. an unknown model).
 * @throws STTConnectionError when the server cannot be reached, answers 429/5xx or times out.
 * @throws the signal's reason when it aborts first.
 */
export async function openTranscriptionSocket(options: TranscriptionSocketOptions): Promise<WebSocket> {
  const { signal } = options;
  signal.throwIfAborted();
  const ws = new WebSocket(transcriptionUrl(options.baseUrl), {
    headers: { Authorization: `Bearer ${options.apiKey}` },
    handshakeTimeout: options.timeoutMs,
  });
  let settle: { resolve: () => void; reject: (e: unknown) => void } | undefined;
  const ready = new Promise<void>((resolve, reject) => {
    settle = { resolve, reject };
  });
  const fail = (e: unknown) => settle?.reject(e);
  const timer = setTimeout(
    () =>
      fail(
        new STTConnectionError(
          `OpenAI did not confirm the transcription session within ${options.timeoutMs} ms`,
        ),
      ),
    options.timeoutMs,
  );
  const onAbort = () => fail(signal.reason);
  signal.addEventListener('abort', onAbort, { once: true });
  let open = false;
  ws.on('unexpected-response', (_req, res) => {
    res.resume();
    fail(handshakeError(res.statusCode));
  });
  ws.on('error', (e) => {
    if (!open)
      fail(new STTConnectionError(`could not connect to OpenAI Realtime: ${e.message}`, { cause: e }));
  });
  ws.on('open', () => {
    open = true;
    send(ws, { type: 'session.update', session: options.session });
  });
  let confirmed = false;
  ws.on('message', (data) => {
    let event: RealtimeServerEvent;
    try {
      event = JSON.parse(data.toString()) as RealtimeServerEvent;
    } catch {
      return; // not an event; the protocol sends JSON only
    }
    if (confirmed) {
      options.onEvent(event, ws);
    } else if (event.type === 'session.updated') {
      confirmed = true;
      settle?.resolve();
    } else if (event.type === 'error') {
      fail(
        new STTConfigurationError(
          `OpenAI refused the transcription session: ${event.error.message}${event.error.param ? ` (${event.error.param}); check the agent's stt options` : ''}`,
          { cause: event.error },
        ),
      );
    }
  });
  ws.on('close', () => {
    if (confirmed) options.onClose(ws);
    else fail(new STTConnectionError('OpenAI closed the Realtime socket before confirming the session'));
  });
  try {
    await ready;
    return ws;
  } catch (e) {
    ws.removeAllListeners('close');
    ws.on('error', () => {});
    ws.terminate();
    throw e;
  } finally {
    clearTimeout(timer);
    signal.removeEventListener('abort', onAbort);
  }
}

/** Sends one client event (https://platform.openai.com/docs/api-reference/realtime-client-events). */
export function send(ws: WebSocket, event: RealtimeClientEvent): void {
  ws.send(JSON.stringify(event));
}

/** The error for a handshake OpenAI answered with HTTP `status`. */
function handshakeError(status: number | undefined): STTError {
  const options = status ? { status } : {};
  if (status === 401 || status === 403) {
    return new STTConfigurationError(
      `OpenAI rejected the API key for transcription (HTTP ${status}): set OPENAI_API_KEY or the agent's stt.credential`,
      options,
    );
  }
  if (status === 400 || status === 404) {
    return new STTConfigurationError(
      `OpenAI refused the Realtime transcription endpoint (HTTP ${status}): check the agent's stt.baseUrl`,
      options,
    );
  }
  return new STTConnectionError(
    `could not connect to OpenAI Realtime${status ? ` (HTTP ${status})` : ''}`,
    options,
  );
}
