import type { FrameEvent, TaskObserver } from '@parley/pipeline';
import { RecentFrameIds } from './recent-frame-ids.ts';

interface Waiter {
  /** The line waited for; `undefined`: the speech started so far. */
  readonly text: string | undefined;
  readonly done: () => void;
}

/**
 * Knows when the agent's speech has reached the caller, for actions that must not cut it off
 * (a transfer hands the line over as soon as the provider accepts): the TTS started an
 * utterance (`tts_started`), and the output transport reported it played (`spoken_text`, sent
 * once the provider echoed its mark). An interruption or the end of the call settles every wait.
 */
export class SpeechWatcher implements TaskObserver {
  readonly frameTypes = ['tts_started', 'spoken_text', 'interruption'] as const;
  /** Utterances the TTS started whose playing was not reported yet, oldest first. */
  private playing: string[] = [];
  private waiters: Waiter[] = [];
  /** A frame is seen once per processor that pushes it: only its first sight counts. */
  private readonly seen = new RecentFrameIds();

  onFrame({ frame: f }: FrameEvent): void {
    if (!this.seen.firstSight(f.id)) return;
    if (f.type === 'tts_started') this.playing.push(f.text);
    else if (f.type === 'spoken_text') {
      const i = this.playing.indexOf(f.text);
      if (f.partial || i < 0) this.playing = [];
      else this.playing.splice(0, i + 1);
      this.settle((w) => (w.text === undefined ? this.playing.length === 0 : w.text === f.text || f.partial));
    } else if (f.type === 'interruption') {
      this.playing = [];
      this.settle(() => true);
    }
  }

  onEnd(): void {
    this.settle(() => true);
  }

  /**
   * Resolves when `text` (the whole of a `tts_speak` queued after this call) has been played,
   * or, without `text`, when every utterance the TTS has started so far has; also on an
   * interruption, at the end of the call, or after `timeoutMs`. Rejects with the signal's
   * reason when `signal` aborts first.
   */
  played(text: string | undefined, timeoutMs: number, signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    if (text === undefined && this.playing.length === 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const finish = (error?: unknown) => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        this.waiters = this.waiters.filter((w) => w !== waiter);
        if (error === undefined) resolve();
        else reject(error);
      };
      const onAbort = () => finish(signal.reason);
      const waiter: Waiter = { text: text?.trim(), done: () => finish() };
      const timer = setTimeout(() => finish(), timeoutMs);
      signal.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  private settle(matches: (waiter: Waiter) => boolean): void {
    for (const waiter of this.waiters.filter(matches)) waiter.done();
  }
}
