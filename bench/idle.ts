/**
 * The machine's floor: event-loop lag of an idle Node process (a 1 ms timer histogram, as in
 * `calls.ts`) over `<seconds>`. Stalls here come from the host (scheduling, steal), not from
 * Parley. Prints one JSON line.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';

const seconds = Number(process.argv[2] ?? 15);
const histogram = monitorEventLoopDelay({ resolution: 1 });
histogram.enable();
await new Promise((r) => setTimeout(r, seconds * 1000));
histogram.disable();
console.log(
  JSON.stringify({
    seconds,
    lagP50Ms: histogram.percentile(50) / 1e6,
    lagP99Ms: histogram.percentile(99) / 1e6,
    lagMaxMs: histogram.max / 1e6,
  }),
);
