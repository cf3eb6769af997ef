/**
 * What hostile input costs the server: deeply nested JSON in media-stream messages and in
 * webhook and API bodies, against flat messages and bodies of the same size (p50 and p99 over
 * the rounds):
 * - `parse_<provider>_*`: the provider serializer's `parse` of one message, in this process
 *   (`json_parse_*`: `JSON.parse` of the same text, for reference);
 * - `ws_*`: 20 invalid messages on one `/ws/<provider>/demo` socket before `start`, from sending
 *   to the server's close (it closes a client after 20 invalid messages), per message;
 * - `webhook_*`, `api_*`: one POST/PUT with a JSON body, until its answer (`_answer`: its status).
 * The server runs in this process (embedded PGlite in memory; no call is made).
 *
 * Run with `npx tsx bench/hostile-input.ts` (BENCH_ROUNDS, default 20).
 */
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ExotelSerializer, TwilioSerializer, VobizSerializer } from '@parley/telephony';
import WebSocket from 'ws';
import { buildApp } from '../apps/server/src/app.ts';
import { loadServerConfig } from '../apps/server/src/config/server-config.ts';
import { openDatabase } from '../apps/server/src/db/database.ts';
import { createSessionStore } from '../apps/server/src/sessions/index.ts';
import { percentile, printFigure } from './report.ts';

const rounds = Number(process.env.BENCH_ROUNDS ?? 20);
const MESSAGES = 20;

/** A JSON object of about `chars` characters whose `x` nests arrays as deep as it can. */
function nested(chars: number): string {
  const depth = Math.floor((chars - 20) / 2);
  return `{"event":"media","x":${'['.repeat(depth)}${']'.repeat(depth)}}`;
}

/** A JSON object of about `chars` characters, flat. */
function flat(chars: number): string {
  return `{"event":"media","x":"${'a'.repeat(chars - 24)}"}`;
}

const recordingsDir = await mkdtemp(path.join(tmpdir(), 'parley-bench-'));
const config = loadServerConfig({ RECORDINGS_DIR: recordingsDir, LOG_LEVEL: 'silent' });
const database = await openDatabase({ dataDir: 'memory' });
const sessions = createSessionStore(undefined);
const parley = await buildApp({
  config,
  database,
  sessions,
  services: () => {
    throw new Error('no call starts in this benchmark');
  },
});
await parley.agents.seedDemo();
await parley.app.listen({ port: 0, host: '127.0.0.1' });
const address = parley.app.server.address();
const port = typeof address === 'object' && address ? address.port : 0;

/** Ms from sending {@link MESSAGES} copies of `message` to the server's close, per message. */
async function wsCost(provider: string, message: string): Promise<{ ms: number; code: number }> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/ws/${provider}/demo`);
  await once(ws, 'open');
  const closed = once(ws, 'close') as Promise<[number]>;
  ws.on('error', () => {});
  const started = performance.now();
  for (let i = 0; i < MESSAGES && ws.readyState === ws.OPEN; i++) ws.send(message);
  const [code] = await closed;
  return { ms: (performance.now() - started) / MESSAGES, code };
}

/** Ms `parse` takes on `text` (a thrown error is its answer). */
async function parseCost(
  parse: (text: string) => unknown,
  text: string,
): Promise<{ ms: number; code: number }> {
  const started = performance.now();
  try {
    parse(text);
  } catch {}
  return { ms: performance.now() - started, code: 0 };
}

/** Ms from sending `body` to the server's answer. */
async function httpCost(method: string, url: string, body: string): Promise<{ ms: number; code: number }> {
  const started = performance.now();
  const res = await fetch(`http://127.0.0.1:${port}${url}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body,
  });
  await res.arrayBuffer();
  return { ms: performance.now() - started, code: res.status };
}

async function measure(name: string, run: () => Promise<{ ms: number; code: number }>): Promise<void> {
  await run(); // warm-up
  const times: number[] = [];
  const codes = new Set<number>();
  for (let i = 0; i < rounds; i++) {
    const { ms, code } = await run();
    times.push(ms);
    codes.add(code);
  }
  printFigure(`${name}_p50`, percentile(times, 50), 'ms');
  printFigure(`${name}_p99`, percentile(times, 99), 'ms');
  if (!codes.has(0)) console.log(`${name}_answer: ${[...codes].join(',')}`);
}

const serializers = {
  twilio: () => new TwilioSerializer(),
  exotel: () => new ExotelSerializer(),
  vobiz: () => new VobizSerializer(),
};

try {
  for (const kb of [15, 60]) {
    await measure(`json_parse_nested_${kb}kb`, () => parseCost(JSON.parse, nested(kb * 1024)));
    for (const [provider, serializer] of Object.entries(serializers)) {
      const parse = (text: string) => serializer().parse(text);
      await measure(`parse_${provider}_nested_${kb}kb`, () => parseCost(parse, nested(kb * 1024)));
      await measure(`parse_${provider}_flat_${kb}kb`, () => parseCost(parse, flat(kb * 1024)));
    }
  }
  // 15 KiB is under every provider's message size limit.
  for (const provider of Object.keys(serializers)) {
    await measure(`ws_${provider}_nested_15kb_per_message`, () => wsCost(provider, nested(15 * 1024)));
    await measure(`ws_${provider}_flat_15kb_per_message`, () => wsCost(provider, flat(15 * 1024)));
  }
  const webhook = '/telephony/twilio/inbound/demo';
  for (const kb of [60, 900]) {
    await measure(`webhook_nested_${kb}kb`, () => httpCost('POST', webhook, nested(kb * 1024)));
    await measure(`webhook_flat_${kb}kb`, () => httpCost('POST', webhook, flat(kb * 1024)));
    await measure(`api_nested_${kb}kb`, () => httpCost('PUT', '/api/agents/bench', nested(kb * 1024)));
    await measure(`api_flat_${kb}kb`, () => httpCost('PUT', '/api/agents/bench', flat(kb * 1024)));
  }
} finally {
  await parley.shutdown();
  await sessions.close();
  await database.close();
  await rm(recordingsDir, { recursive: true, force: true });
}
