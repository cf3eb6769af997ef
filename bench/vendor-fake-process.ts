/**
 * The fake process of `vendor-cost.ts`: runs every vendor's loopback fake ({@link VENDORS}) so
 * that their CPU is not counted in the measured process. Spoken to over the IPC channel:
 * - sends `{ type: 'ready', urls, cas }` once every fake listens (vendor name → base URL, and the
 *   certificate to trust for a TLS fake);
 * - `{ type: 'speech', vendor, count, shape }` queues speech answers, answered `{ type: 'ok' }`;
 * - `{ type: 'received', vendor }` is answered `{ type: 'received', bytes }`: STT audio bytes
 *   the fake got on all its connections.
 * It closes the fakes and exits when the channel closes.
 */
import { type SpeechShape, VENDORS, type VendorFake } from './vendors.ts';

/** A request from the measured process. */
export type FakeRequest =
  | { readonly type: 'speech'; readonly vendor: string; readonly count: number; readonly shape: SpeechShape }
  | { readonly type: 'received'; readonly vendor: string };

/** A message to the measured process. */
export type FakeMessage =
  | { readonly type: 'ready'; readonly urls: Record<string, string>; readonly cas: Record<string, string> }
  | { readonly type: 'ok' }
  | { readonly type: 'received'; readonly bytes: number };

if (!process.send) throw new Error('vendor-fake-process.ts runs as a child with an IPC channel');
const reply = (m: FakeMessage) => process.send?.(m);

const fakes = new Map<string, VendorFake>();
for (const v of VENDORS) fakes.set(v.name, await v.startFake());

process.on('message', (m: FakeRequest) => {
  const fake = fakes.get(m.vendor);
  if (!fake) throw new Error(`no fake for ${m.vendor}`);
  if (m.type === 'speech') {
    fake.queueSpeech(m.count, m.shape);
    reply({ type: 'ok' });
  } else {
    reply({ type: 'received', bytes: fake.receivedBytes() });
  }
});
process.on('disconnect', () => {
  void Promise.all([...fakes.values()].map((f) => f.close())).finally(() => process.exit(0));
});
reply({
  type: 'ready',
  urls: Object.fromEntries([...fakes].map(([name, f]) => [name, f.url])),
  cas: Object.fromEntries([...fakes].flatMap(([name, f]) => (f.ca ? [[name, f.ca]] : []))),
});
