import type { Clock, LLMMessage } from '@parley/pipeline';
import type { Summariser } from './types.ts';

/** The outcome of {@link summarise}: the summary, or why there is none. */
export type SummaryOutcome = { readonly summary: string } | { readonly error: string };

/**
 * Ask `summariser` for a summary of `messages`, within `timeoutMs` on `clock`. Never rejects:
 * a failure, an empty summary, the time limit or `signal` aborting gives `{ error }` (and aborts
 * the summariser's signal).
 */
export async function summarise(
  summariser: Summariser | undefined,
  request: { readonly messages: readonly LLMMessage[]; readonly prompt: string },
  clock: Clock,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<SummaryOutcome> {
  if (!summariser) return { error: 'no summariser configured' };
  const controller = new AbortController();
  let timer: ReturnType<Clock['setTimeout']> | undefined;
  let onAbort: (() => void) | undefined;
  const stopped = new Promise<SummaryOutcome>((resolve) => {
    timer = clock.setTimeout(() => resolve({ error: `timed out after ${timeoutMs} ms` }), timeoutMs);
    onAbort = () => resolve({ error: 'cancelled' });
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
  });
  const made = (async (): Promise<SummaryOutcome> => {
    try {
      const summary = (
        await summariser({ messages: request.messages, prompt: request.prompt, signal: controller.signal })
      ).trim();
      return summary ? { summary } : { error: 'the summary was empty' };
    } catch (e) {
      return { error: e instanceof Error ? e.message : String(e) };
    }
  })();
  try {
    return await Promise.race([made, stopped]);
  } finally {
    clock.clearTimeout(timer);
    if (onAbort) signal?.removeEventListener('abort', onAbort);
    controller.abort();
  }
}
