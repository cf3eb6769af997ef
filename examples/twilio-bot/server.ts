/**
 * Twilio bot without the Parley server: answers Twilio's voice webhook with TwiML that opens a
 * bidirectional Media Stream, and runs one `createVoiceBot` pipeline (./bot.ts) per call.
 *
 * Needs: `apt-get install pocketsphinx pocketsphinx-en-us` (offline STT); `OPENAI_API_KEY`, or
 * `OPENAI_BASE_URL` of an OpenAI-compatible server; a public https URL that reaches this port
 * (e.g. a tunnel to 127.0.0.1:8080).
 *
 *   PUBLIC_URL=https://<public-host> OPENAI_API_KEY=sk-… npm run example:twilio
 *
 * then set your Twilio number's Voice webhook to `POST https://<public-host>/twiml`.
 * Env: PORT (8080), HOST (127.0.0.1), PUBLIC_URL (default: https:// + the request's Host header).
 * This example checks no `X-Twilio-Signature`: see `validateTwilioSignature` before going live.
 */
import formbody from '@fastify/formbody';
import websocket from '@fastify/websocket';
import { frame } from '@parley/pipeline';
import { checkLocalEngines, type OpenAILLMServiceOptions } from '@parley/services';
import { connectStreamTwiml, publicRequestUrl, TwilioSerializer } from '@parley/telephony';
import Fastify, { type FastifyBaseLogger } from 'fastify';
import type { WebSocket } from 'ws';
import { createVoiceBot, type VoiceBot } from './bot.ts';

/** Options of {@link startTwilioBot}. */
export interface TwilioBotOptions {
  readonly host?: string;
  readonly port?: number;
  /** Origin Twilio reaches us at, e.g. `https://voice.example.com`. Default: https:// + Host header. */
  readonly publicUrl?: string;
  /** LLM settings (default: `OPENAI_API_KEY`, `OPENAI_BASE_URL`, gpt-4o-mini). */
  readonly llm?: OpenAILLMServiceOptions;
  /** Pino log level. Default `info`. */
  readonly logLevel?: string;
}

/** A running Twilio bot. */
export interface TwilioBot {
  /** `http://<host>:<port>`: the webhook is `POST /twiml`, the Media Stream `GET /media`. */
  readonly url: string;
  /** Stop listening and hang up every call. */
  close(): Promise<void>;
}

/** Start the HTTP + WebSocket server; resolves once it listens. */
export async function startTwilioBot(options: TwilioBotOptions = {}): Promise<TwilioBot> {
  const app = Fastify({ logger: { level: options.logLevel ?? 'info' } });
  await app.register(formbody); // Twilio posts its webhook as a form
  await app.register(websocket);
  app.post('/twiml', async (request, reply) => {
    const origin = options.publicUrl ?? `https://${request.headers.host}`;
    const url = publicRequestUrl(origin, '/media', { websocket: true });
    return reply.type('text/xml').send(connectStreamTwiml({ url }));
  });
  app.get('/media', { websocket: true }, (socket, request) => handleCall(socket, options, request.log));
  const address = await app.listen({ host: options.host ?? '127.0.0.1', port: options.port ?? 0 });
  return { url: address, close: async () => void (await app.close()) };
}

// #region call
/** One Media Streams connection: Twilio's messages in through the serializer, the bot's out. */
function handleCall(socket: WebSocket, options: TwilioBotOptions, log: FastifyBaseLogger): void {
  const serializer = new TwilioSerializer();
  let bot: VoiceBot | undefined;
  socket.on('message', (data) => {
    try {
      const event = serializer.parse(data.toString());
      if (event.type === 'start') bot = startBot();
      else if (event.type === 'media') bot?.input.pushAudio(event.audio, event.sampleRateHz);
      else if (event.type === 'mark') bot?.input.pushFrame(frame('playback_mark', { name: event.name }));
      else if (event.type === 'stop') bot?.task.cancel('caller_hung_up');
    } catch (err) {
      log.warn({ err }, 'could not handle a Twilio message'); // e.g. a ProviderProtocolError
    }
  });
  socket.on('close', () => bot?.task.cancel('socket_closed'));

  function startBot(): VoiceBot {
    const started = createVoiceBot(
      {
        sendAudio: (pcm, rateHz) => socket.send(serializer.encodeAudio(pcm, rateHz)),
        sendMark: (name) => socket.send(serializer.encodeMark(name)),
        clearAudio: () => socket.send(serializer.encodeClear()),
      },
      options.llm,
    );
    started.task.errors$.subscribe((e) => log.warn({ source: e.source, fatal: e.fatal }, e.message));
    void started.task.run().then((result) => {
      log.info(result, 'call ended');
      socket.close(); // ends the call: nothing follows <Connect> in the TwiML
    });
    started.task.queueFrame(frame('tts_speak', { text: 'Hello! How can I help you?' }));
    return started;
  }
}
// #endregion call

if (import.meta.filename === process.argv[1]) {
  const engines = await checkLocalEngines();
  if (!engines.stt.ok || !engines.tts.ok) throw new Error(engines.stt.reason ?? engines.tts.reason);
  if (!process.env.OPENAI_API_KEY && !process.env.OPENAI_BASE_URL) {
    throw new Error('Set OPENAI_API_KEY, or OPENAI_BASE_URL for an OpenAI-compatible server');
  }
  const bot = await startTwilioBot({
    host: process.env.HOST ?? '127.0.0.1',
    port: Number(process.env.PORT ?? 8080),
    ...(process.env.PUBLIC_URL ? { publicUrl: process.env.PUBLIC_URL } : {}),
  });
  process.once('SIGINT', () => void bot.close());
}
