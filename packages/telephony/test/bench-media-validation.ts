/**
 * Cost of validating Twilio `media` messages: the hand check (`checkTwilioMedia`) against the
 * equivalent zod schema (`twilioMediaSchema`), on already parsed objects and including
 * `JSON.parse`, 100 000 realistic messages each (20 ms of µ-law, 216 base64 characters),
 * measured five times in alternating rounds after a warm-up.
 *
 * Run: `npx tsx packages/telephony/test/bench-media-validation.ts`. Prints `name: value unit`
 * lines: p50 and p99 per message over batches of 1000, and the zod/hand ratio of the p50s.
 */
import { randomBytes } from 'node:crypto';
import { checkTwilioMedia, twilioMediaSchema } from '../src/twilio/schemas.ts';

const MESSAGES = 100_000;
const BATCH = 1000;
const DISTINCT = 1000;

const messages = Array.from({ length: DISTINCT }, (_, i) =>
  JSON.stringify({
    event: 'media',
    sequenceNumber: String(i + 2),
    streamSid: 'MZ00000000000000000000000000000001',
    media: {
      track: 'inbound',
      chunk: String(i + 1),
      timestamp: String(20 * (i + 1)),
      payload: randomBytes(160).toString('base64'),
    },
  }),
);

const parsed = messages.map((text) => JSON.parse(text) as Record<string, unknown>);

type Check = (i: number) => boolean;

// Every variant that validates also base64-decodes the payload (the hand check returns the
// bytes; the schema's refinement decodes to check), so the comparison is like for like.
const variants: Record<string, Check> = {
  'json.parse only': (i) => typeof JSON.parse(messages[i]!) === 'object',
  'base64 decode only': (i) =>
    Buffer.from((parsed[i]!.media as { payload: string }).payload, 'base64').length > 0,
  'hand check (parsed object)': (i) => !('problem' in checkTwilioMedia(parsed[i]!)),
  'zod (parsed object)': (i) => twilioMediaSchema.safeParse(parsed[i]!).success,
  'json.parse + hand check': (i) =>
    !('problem' in checkTwilioMedia(JSON.parse(messages[i]!) as Record<string, unknown>)),
  'json.parse + zod': (i) => twilioMediaSchema.safeParse(JSON.parse(messages[i]!)).success,
};

/** ns per message of each batch of {@link BATCH}; the check gets the index of a message. */
function measure(check: Check): number[] {
  const perMessageNs: number[] = [];
  let ok = 0;
  for (let done = 0; done < MESSAGES; done += BATCH) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < BATCH; i++) if (check((done + i) % DISTINCT)) ok++;
    perMessageNs.push(Number(process.hrtime.bigint() - t0) / BATCH);
  }
  if (ok !== MESSAGES) throw new Error(`only ${ok} of ${MESSAGES} messages were valid`);
  return perMessageNs;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

// Warm up every variant, then measure them in alternating rounds so drift hits all alike.
for (const check of Object.values(variants)) measure(check);
const samples: Record<string, number[]> = Object.fromEntries(Object.keys(variants).map((name) => [name, []]));
for (let round = 0; round < 5; round++) {
  for (const [name, check] of Object.entries(variants)) samples[name]!.push(...measure(check));
}

const p50: Record<string, number> = {};
for (const [name, values] of Object.entries(samples)) {
  p50[name] = percentile(values, 50);
  console.log(`${name} p50: ${percentile(values, 50).toFixed(0)} ns/message`);
  console.log(`${name} p99: ${percentile(values, 99).toFixed(0)} ns/message`);
}
const hand = p50['hand check (parsed object)']!;
const zod = p50['zod (parsed object)']!;
console.log(`zod/hand ratio (validation of a parsed object): ${(zod / hand).toFixed(1)} x`);
