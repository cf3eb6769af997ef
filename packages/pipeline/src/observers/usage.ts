import type { MetricsFrame, ServiceKind } from '../frames/frames.ts';
import type { FrameEvent, TaskObserver } from '../processors/task.ts';

/** TTFB of a service's requests over a call, ms, rounded to whole ms. */
export interface TtfbSummary {
  /** The median. */
  readonly p50: number;
  readonly max: number;
}

/** What one provider/model was asked for in a call (the fields common to every kind). */
export interface ServiceUsage {
  /** The metrics' `provider`, else the name of the processor that reported them. */
  readonly provider: string;
  /** The metrics' `model`, when they name one. */
  readonly model?: string;
  /** Requests answered: one per `ttfb` measurement (an STT utterance, an LLM completion, a TTS sentence). */
  readonly requests: number;
  /** TTFB of those requests; `null` when none was measured. */
  readonly ttfbMs: TtfbSummary | null;
}

/** Speech-to-text usage: caller audio streamed to the engine. */
export interface STTUsage extends ServiceUsage {
  /** Seconds of audio sent (`audio_seconds`). */
  readonly audioSeconds: number;
}

/** LLM usage, in tokens as the provider counted them. */
export interface LLMUsage extends ServiceUsage {
  readonly promptTokens: number;
  readonly completionTokens: number;
}

/** Text-to-speech usage. */
export interface TTSUsage extends ServiceUsage {
  /** Characters sent to synthesis (UTF-16 code units; a re-synthesis counts again). */
  readonly characters: number;
}

/** A call's usage per kind of service, one entry per provider/model, in order of first use. */
export interface UsageSummary {
  readonly stt: readonly STTUsage[];
  readonly llm: readonly LLMUsage[];
  readonly tts: readonly TTSUsage[];
}

interface Tally {
  readonly kind: ServiceKind;
  readonly provider: string;
  readonly model: string | undefined;
  readonly ttfb: number[];
  amount: number;
  promptTokens: number;
  completionTokens: number;
}

/**
 * Sums a call's usage of its AI services from the `metrics` frames the service bases push
 * (those with a `service`): STT `audio_seconds`, LLM `prompt_tokens` / `completion_tokens`, TTS
 * `characters`, and each kind's `ttfb`, per provider and model (see {@link UsageSummary}). Each
 * metric counts once, however many processors pass it on. Feed {@link summary} to
 * `estimateCost` for the call's cost.
 *
 * @example
 * const usage = new UsageCollector();
 * const task = new PipelineTask(processors, { observers: [usage] });
 * await task.run();
 * const cost = estimateCost(usage.summary(), prices);
 */
export class UsageCollector implements TaskObserver {
  private readonly tallies = new Map<string, Tally>();
  /** Ids of the metrics counted: a call has a few per turn, so the set stays small. */
  private readonly seen = new Set<number>();

  readonly frameTypes = ['metrics'] as const;

  onFrame({ frame: f }: FrameEvent): void {
    if (f.type !== 'metrics' || f.service === undefined || this.seen.has(f.id)) return;
    this.seen.add(f.id);
    const t = this.tally(f, f.service);
    switch (f.name) {
      case 'ttfb':
        t.ttfb.push(f.value);
        break;
      case 'audio_seconds':
      case 'characters':
        t.amount += f.value;
        break;
      case 'prompt_tokens':
        t.promptTokens += f.value;
        break;
      case 'completion_tokens':
        t.completionTokens += f.value;
        break;
    }
  }

  /** The usage so far. */
  summary(): UsageSummary {
    const stt: STTUsage[] = [];
    const llm: LLMUsage[] = [];
    const tts: TTSUsage[] = [];
    for (const t of this.tallies.values()) {
      const base: ServiceUsage = {
        provider: t.provider,
        ...(t.model !== undefined ? { model: t.model } : {}),
        requests: t.ttfb.length,
        ttfbMs: summarizeTtfb(t.ttfb),
      };
      if (t.kind === 'stt') stt.push({ ...base, audioSeconds: t.amount });
      else if (t.kind === 'llm')
        llm.push({ ...base, promptTokens: t.promptTokens, completionTokens: t.completionTokens });
      else tts.push({ ...base, characters: t.amount });
    }
    return { stt, llm, tts };
  }

  private tally(f: MetricsFrame, kind: ServiceKind): Tally {
    const provider = f.provider ?? f.processor;
    const key = JSON.stringify([kind, provider, f.model ?? null]);
    let t = this.tallies.get(key);
    if (!t) {
      t = { kind, provider, model: f.model, ttfb: [], amount: 0, promptTokens: 0, completionTokens: 0 };
      this.tallies.set(key, t);
    }
    return t;
  }
}

function summarizeTtfb(samples: readonly number[]): TtfbSummary | null {
  if (samples.length === 0) return null;
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const p50 = sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { p50: Math.round(p50), max: Math.round(sorted.at(-1)!) };
}
