import type { ServiceKind } from '../frames/frames.ts';
import type { ServiceUsage, UsageSummary } from './usage.ts';

/** A price of one model (or, under `'*'`, of every model of a provider). */
export interface STTPrice {
  /** Per minute of audio streamed. */
  readonly perMinute: number;
}
/** See {@link STTPrice}. */
export interface LLMPrice {
  /** Per million prompt (input) tokens. */
  readonly perMillionInputTokens: number;
  /** Per million completion (output) tokens. */
  readonly perMillionOutputTokens: number;
}
/** See {@link STTPrice}. */
export interface TTSPrice {
  /** Per million characters synthesized. */
  readonly perMillionCharacters: number;
}

/** Prices by provider, then by model; the model `'*'` prices the provider's other models. */
export type PriceList<P> = Readonly<Record<string, Readonly<Record<string, P>>>>;

/**
 * What the services cost, in one currency, keyed like the usage: the `provider` (as the
 * services label their metrics, else the processor name) and the `model`. Parley ships no
 * prices: vendors change them, and contracts differ. For example (illustrative figures only,
 * not any vendor's actual prices):
 *
 * ```ts
 * const prices: PriceTable = {
 *   currency: 'USD',
 *   stt: { deepgram: { 'nova-3': { perMinute: 0.005 } } },
 *   llm: { openai: { 'gpt-4.1-mini': { perMillionInputTokens: 0.5, perMillionOutputTokens: 2 } } },
 *   tts: { cartesia: { '*': { perMillionCharacters: 40 } } },
 * };
 * ```
 */
export interface PriceTable {
  /** ISO 4217 code of the prices, e.g. `USD`; reported with the estimate. */
  readonly currency: string;
  readonly stt?: PriceList<STTPrice>;
  readonly llm?: PriceList<LLMPrice>;
  readonly tts?: PriceList<TTSPrice>;
}

/** The cost of one usage entry. */
export interface CostLine {
  readonly service: ServiceKind;
  readonly provider: string;
  readonly model?: string;
  /** In the table's currency, not rounded. */
  readonly cost: number;
}

/** An estimated call cost (see {@link estimateCost}). */
export interface CostEstimate {
  readonly currency: string;
  /** Sum of {@link lines}, not rounded. */
  readonly total: number;
  readonly lines: readonly CostLine[];
  /** Usage the table has no price for: not in {@link total}. */
  readonly unpriced: readonly Omit<CostLine, 'cost'>[];
}

/**
 * The estimated cost of a call's usage: STT `audioSeconds / 60 × perMinute`, LLM
 * `promptTokens / 10⁶ × perMillionInputTokens + completionTokens / 10⁶ × perMillionOutputTokens`,
 * TTS `characters / 10⁶ × perMillionCharacters`. A model missing from the table takes its
 * provider's `'*'` price; usage with neither is listed as `unpriced`.
 */
export function estimateCost(summary: UsageSummary, prices: PriceTable): CostEstimate {
  const lines: CostLine[] = [];
  const unpriced: Omit<CostLine, 'cost'>[] = [];
  const add = <P, U extends ServiceUsage>(
    service: ServiceKind,
    usages: readonly U[],
    list: PriceList<P> | undefined,
    cost: (u: U, p: P) => number,
  ) => {
    for (const u of usages) {
      const id = { service, provider: u.provider, ...(u.model !== undefined ? { model: u.model } : {}) };
      const byModel = list?.[u.provider];
      const price = (u.model !== undefined ? byModel?.[u.model] : undefined) ?? byModel?.['*'];
      if (price === undefined) unpriced.push(id);
      else lines.push({ ...id, cost: cost(u, price) });
    }
  };
  add('stt', summary.stt, prices.stt, (u, p) => (u.audioSeconds / 60) * p.perMinute);
  add(
    'llm',
    summary.llm,
    prices.llm,
    (u, p) =>
      (u.promptTokens * p.perMillionInputTokens + u.completionTokens * p.perMillionOutputTokens) / 1e6,
  );
  add('tts', summary.tts, prices.tts, (u, p) => (u.characters * p.perMillionCharacters) / 1e6);
  return { currency: prices.currency, total: lines.reduce((sum, l) => sum + l.cost, 0), lines, unpriced };
}
