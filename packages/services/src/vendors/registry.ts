/**
 * Every vendor an agent can configure, per kind. Adding a vendor: its folder under `src/`
 * (service, fake, `vendor.ts`) and one line here.
 */
import { anthropicLLMVendor } from '../anthropic/vendor.ts';
import { cartesiaTTSVendor } from '../cartesia/vendor.ts';
import { deepgramSTTVendor, deepgramTTSVendor } from '../deepgram/vendor.ts';
import { elevenlabsSTTVendor, elevenlabsTTSVendor } from '../elevenlabs/vendor.ts';
import { geminiLLMVendor } from '../google/vendor.ts';
import { localSTTVendor, localTTSVendor } from '../local/vendor.ts';
import { openaiLLMVendor, openaiSTTVendor, openaiTTSVendor } from '../openai/vendor.ts';
import { sarvamSTTVendor, sarvamTTSVendor } from '../sarvam/vendor.ts';
import { grokLLMVendor } from '../xai/vendor.ts';
import type { VendorDefinition, VendorKind } from './vendor.ts';

/** Speech-to-text vendors, the first being the default. */
export const STT_VENDORS = [
  localSTTVendor,
  deepgramSTTVendor,
  openaiSTTVendor,
  elevenlabsSTTVendor,
  sarvamSTTVendor,
] as const;

/** LLM vendors, the first being the default. */
export const LLM_VENDORS = [openaiLLMVendor, anthropicLLMVendor, geminiLLMVendor, grokLLMVendor] as const;

/** Text-to-speech vendors, the first being the default. */
export const TTS_VENDORS = [
  localTTSVendor,
  cartesiaTTSVendor,
  deepgramTTSVendor,
  openaiTTSVendor,
  elevenlabsTTSVendor,
  sarvamTTSVendor,
] as const;

/** The vendors of each kind. */
export const VENDORS: { readonly [K in VendorKind]: readonly VendorDefinition<K>[] } = {
  stt: STT_VENDORS,
  llm: LLM_VENDORS,
  tts: TTS_VENDORS,
};

/** The vendor of `kind` named `provider`, or `undefined`. */
export function findVendor<K extends VendorKind>(kind: K, provider: string): VendorDefinition<K> | undefined {
  return (VENDORS[kind] as readonly VendorDefinition<K>[]).find((v) => v.provider === provider);
}
