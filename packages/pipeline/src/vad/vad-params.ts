import { VadError } from './vad-errors.ts';

/**
 * Turn-taking knobs of the VAD state machine (Pipecat's `VADParams`).
 *
 * A 32 ms window counts as speech when the model's `confidence` ≥ {@link confidence} AND the
 * smoothed volume ≥ {@link minVolume}. Speech starts after {@link startSecs} of consecutive
 * speech windows and stops after {@link stopSecs} of consecutive non-speech windows.
 */
export interface VadParams {
  /** Minimum speech probability of a window, 0–1. Default 0.7. */
  readonly confidence: number;
  /** Speech needed before `user_started_speaking`, s. Default 0.2 (short blips are ignored). */
  readonly startSecs: number;
  /**
   * Silence needed before `user_stopped_speaking`, s. Default 0.2: like Pipecat since 2026
   * (0.8 before), which pairs a short VAD stop with a separate endpointing delay that decides
   * when the turn is over (0.5–3 s in LiveKit). Raise it when nothing downstream waits for the
   * end of the turn.
   */
  readonly stopSecs: number;
  /**
   * Minimum smoothed volume, 0–1, on the scale of `windowVolume` (which approximates
   * Pipecat's normalised loudness): 0.6 ≈ −49.6 dBFS RMS. Default 0.6: speech at normal
   * phone level (−35…−20 dBFS) passes, line noise and distant background talk do not.
   */
  readonly minVolume: number;
}

/** The defaults: confidence 0.7, startSecs 0.2, stopSecs 0.2, minVolume 0.6. */
export const DEFAULT_VAD_PARAMS: Readonly<VadParams> = Object.freeze({
  confidence: 0.7,
  startSecs: 0.2,
  stopSecs: 0.2,
  minVolume: 0.6,
});

/**
 * Fill in defaults and check ranges. A field that is missing or `undefined` takes its default.
 *
 * @throws VadError `invalid_params` when `confidence` or `minVolume` is outside 0–1, or
 *   `startSecs`/`stopSecs` is negative or not finite.
 */
export function resolveVadParams(params: Partial<VadParams> = {}): VadParams {
  const d = DEFAULT_VAD_PARAMS;
  const p: VadParams = {
    confidence: params.confidence ?? d.confidence,
    startSecs: params.startSecs ?? d.startSecs,
    stopSecs: params.stopSecs ?? d.stopSecs,
    minVolume: params.minVolume ?? d.minVolume,
  };
  const inUnit = (v: number) => Number.isFinite(v) && v >= 0 && v <= 1;
  const duration = (v: number) => Number.isFinite(v) && v >= 0;
  if (!inUnit(p.confidence)) throw invalid('confidence', p.confidence, 'in 0..1');
  if (!inUnit(p.minVolume)) throw invalid('minVolume', p.minVolume, 'in 0..1');
  if (!duration(p.startSecs)) throw invalid('startSecs', p.startSecs, '≥ 0 s');
  if (!duration(p.stopSecs)) throw invalid('stopSecs', p.stopSecs, '≥ 0 s');
  return p;
}

function invalid(name: string, value: number, range: string): VadError {
  return new VadError('invalid_params', `VAD ${name} must be ${range}, got ${value}`);
}
