import { createRequire } from 'node:module';
// Types from the CommonJS declarations too: the ESM ones declare distinct (private-member) classes.
import type { Cartesia as CartesiaClient } from '@cartesia/cartesia-js/client.js';
import type { TTSWS } from '@cartesia/cartesia-js/resources/tts/ws.js';

/**
 * The official `@cartesia/cartesia-js` SDK, loaded through its CommonJS build.
 *
 * Why not `import`: in SDK 4.2.0 the ESM build loads the `ws` peer with a bare `require('ws')`,
 * which does not exist in an ES module on Node 20, so its WebSocket client gives up ("The "ws"
 * peer dependency is required…"). The CommonJS build resolves `ws` normally and sends the key
 * as an `Authorization` header on the handshake.
 */
const load = createRequire(import.meta.url);

/** What Parley uses of the SDK. */
export interface CartesiaSdk {
  /** The client class (`new Cartesia({ apiKey, baseURL })`). */
  readonly Cartesia: typeof CartesiaClient;
  /**
   * The TTS WebSocket (`wss://<baseURL host>/tts/websocket`). Constructed directly rather than
   * through `client.tts.websocket()` so that an `error` listener is in place before the
   * handshake: without one the SDK turns a refused handshake into an unhandled rejection.
   */
  readonly TTSWS: typeof TTSWS;
}

let loaded: CartesiaSdk | undefined;

/**
 * The SDK, required on first use (a connection or a check) rather than when `@parley/services`
 * is imported, which every importer would otherwise pay for whether or not it uses Cartesia.
 */
export function cartesiaSdk(): CartesiaSdk {
  loaded ??= {
    Cartesia: (load('@cartesia/cartesia-js') as { Cartesia: typeof CartesiaClient }).Cartesia,
    TTSWS: (load('@cartesia/cartesia-js/resources/tts/ws.js') as { TTSWS: typeof TTSWS }).TTSWS,
  };
  return loaded;
}

export type { TTSWS };
