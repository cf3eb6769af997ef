import { frame, type MetricsFrame } from '../frames/frames.ts';

/**
 * Make a `metrics` frame: `name` measured by `processor`. Names in use: `ttfb` (ms from the
 * request, or for STT from the caller's stop, to the first result), `audio_seconds` (s of caller
 * audio per final transcript), `characters` (chars sent to TTS), `prompt_tokens` /
 * `completion_tokens` (tokens), `vad_dropped_samples` (count).
 *
 * @param processor Name of the processor that measured it (usually `this.name`).
 * @param name What was measured, snake_case.
 * @param value The measurement in `unit`, a finite number ≥ 0 (durations are not rounded).
 * @param unit `ms` milliseconds, `s` seconds, `count` a plain count, `chars` characters,
 *   `tokens` LLM tokens.
 */
export function metric(
  processor: string,
  name: string,
  value: number,
  unit: MetricsFrame['unit'],
): MetricsFrame {
  return frame('metrics', { processor, name, value, unit });
}
