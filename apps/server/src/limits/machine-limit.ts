/**
 * The default concurrency limit, from what the machine can carry when the operator sets none.
 * The embedded speech recognition is the costly part of a call: one pocketsphinx process per
 * call, about 100 MB resident and a sixth of a core in real time (measured for the embedded
 * stack on the development machine: real-time factor 0.17, so one core decodes about 5 calls).
 */
import os from 'node:os';

/** Calls per core: pocketsphinx decodes about 5 on one core; one is left for the rest of the call. */
export const CALLS_PER_CORE = 4;

/** Memory a call takes, bytes: its pocketsphinx process (about 100 MB) and its share of this process. */
export const BYTES_PER_CALL = 150 * 1024 * 1024;

/** What the default limit is derived from. */
export interface MachineCapacity {
  /** Cores this process may use (`os.availableParallelism()`). */
  readonly cores: number;
  /** Memory free for new processes, bytes (`os.freemem()` at start-up). */
  readonly freeMemoryBytes: number;
}

/** This machine's cores and free memory, now. */
export function currentMachine(): MachineCapacity {
  return { cores: os.availableParallelism(), freeMemoryBytes: os.freemem() };
}

/**
 * How many calls `machine` carries at once: the smaller of {@link CALLS_PER_CORE} per core and
 * one call per {@link BYTES_PER_CALL} of free memory, at least 1.
 */
export function machineCallLimit(machine: MachineCapacity = currentMachine()): number {
  const byCpu = Math.floor(machine.cores * CALLS_PER_CORE);
  const byMemory = Math.floor(machine.freeMemoryBytes / BYTES_PER_CALL);
  return Math.max(1, Math.min(byCpu, byMemory));
}
