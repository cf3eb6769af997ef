import { frame, type MetricsFrame, type ServiceKind } from '../frames/frames.ts';

/**
 * Who served a measured request, for usage accounting: a service's provider (e.g. `deepgram`)
 * and model (e.g. `nova-3`). Services report them through `metricLabels()`.
 */
export interface MetricLabels {
  readonly provider?: string;
  readonly model?: string;
}

/** Labels a service's metrics carry: its kind, and its {@link MetricLabels}. */
export interface ServiceMetricLabels extends MetricLabels {
  readonly service?: ServiceKind;
}

/**
 * Make a `metrics` frame: `name` measured by `processor`. Names in use: `ttfb` (ms from the
 * request, or for STT from the caller's stop, to the first result), `audio_seconds` (s of caller
 * audio sent to an STT engine, per final transcript and for the rest when it stops), `characters`
 * (chars sent to TTS), `prompt_tokens` / `completion_tokens` (tokens), `vad_dropped_samples`
 * (count).
 *
 * @param processor Name of the processor that measured it (usually `this.name`).
 * @param name What was measured, snake_case.
 * @param value The measurement in `unit`, a finite number ≥ 0 (durations are not rounded).
 * @param unit `ms` milliseconds, `s` seconds, `count` a plain count, `chars` characters,
 *   `tokens` LLM tokens.
 * @param labels For a service's usage: its kind, provider and model (undefined ones are left out).
 */
export function metric(
  processor: string,
  name: string,
  value: number,
  unit: MetricsFrame['unit'],
  labels: ServiceMetricLabels = {},
): MetricsFrame {
  return frame('metrics', {
    processor,
    name,
    value,
    unit,
    ...(labels.service ? { service: labels.service } : {}),
    ...(labels.provider ? { provider: labels.provider } : {}),
    ...(labels.model ? { model: labels.model } : {}),
  });
}
