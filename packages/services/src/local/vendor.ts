/** The embedded offline engines as agent-configurable vendors (no key, no network). */
import { z } from 'zod';
import { checkPassed, type VendorCheckResult } from '../vendors/check.ts';
import { defineVendor, responseTimeoutOption } from '../vendors/vendor.ts';
import { checkLocalStt, checkLocalTts, type EngineCheck } from './engine-check.ts';
import { FLITE_VOICES, type FliteVoice, LocalTTSService } from './flite-tts.ts';
import { LocalSTTService } from './pocketsphinx-stt.ts';

/** pocketsphinx, English only (the server checks it is installed at every call start). */
export const localSTTVendor = defineVendor({
  kind: 'stt',
  provider: 'local',
  label: 'Local speech recognition (pocketsphinx)',
  options: {},
  check: async () => localCheck(await checkLocalStt()),
  create: () => new LocalSTTService(),
});

/** Flite, English voices. */
export const localTTSVendor = defineVendor({
  kind: 'tts',
  provider: 'local',
  label: 'Local speech synthesis (Flite)',
  options: {
    /** Flite voice: `kal` (8 kHz, the default, sounds best on the phone), `kal16`, `slt`, `awb`, `rms`. */
    voice: z.enum(Object.keys(FLITE_VOICES) as [FliteVoice, ...FliteVoice[]]).optional(),
  },
  check: async () => localCheck(await checkLocalTts()),
  create: (options, access) =>
    new LocalTTSService({
      name: access.name,
      ...(options.voice ? { voice: options.voice } : {}),
      ...responseTimeoutOption(access),
    }),
});

/** A local engine's check: installed and working, or why not (no key, no network). */
function localCheck(engine: EngineCheck): VendorCheckResult {
  return engine.ok
    ? checkPassed('the engine is installed and works')
    : { ok: false, code: 'vendor_error', message: engine.reason ?? 'the engine does not work' };
}
