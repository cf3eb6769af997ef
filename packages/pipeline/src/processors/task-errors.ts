import type { ProcessorSnapshot } from './frame-processor.ts';

/**
 * The pipeline stopped flowing: a heartbeat sent by the {@link PipelineTask} has not reached
 * the end of the pipeline for `stalledForMs`. Reported (never thrown) as the `cause` of a
 * non-fatal error frame on the task's `errors$`, once per stall.
 */
export class PipelineStallError extends Error {
  override readonly name = 'PipelineStallError';

  /**
   * @param stalledForMs How long heartbeats have been waiting, ms (by the task's clock).
   * @param heldBy The processor whose queue holds a heartbeat, when one does (typically the
   *   one blocked: still starting, or a handler that never settles); `undefined` when no queue
   *   holds one (a processor dropped it, or the event loop is blocked).
   */
  constructor(
    readonly stalledForMs: number,
    readonly heldBy: ProcessorSnapshot | undefined,
  ) {
    super(describe(stalledForMs, heldBy));
  }
}

function describe(ms: number, held: ProcessorSnapshot | undefined): string {
  const head = `pipeline stalled: no heartbeat reached the end of the pipeline for ${Math.round(ms)} ms`;
  if (!held) return `${head}; no processor holds one (a processor may have dropped it)`;
  const doing = held.state === 'starting' ? 'still starting' : held.handling ? 'a handler in flight' : 'idle';
  return `${head}; one waits in ${held.name} (${doing}, ${held.queued.length} frames queued)`;
}
