/**
 * The ElevenLabs SDK, loaded on first use: importing it costs over a second of CPU, which every
 * importer of `@parley/services` would otherwise pay whether or not an agent uses ElevenLabs.
 */
export type ElevenLabsSdk = typeof import('@elevenlabs/elevenlabs-js');

let loading: Promise<ElevenLabsSdk> | undefined;
let loaded: ElevenLabsSdk | undefined;

/** The SDK module (imported once). */
export function loadElevenLabsSdk(): Promise<ElevenLabsSdk> {
  loading ??= import('@elevenlabs/elevenlabs-js').then((sdk) => {
    loaded = sdk;
    return sdk;
  });
  return loading;
}

/** The SDK module if it was loaded; an error from the SDK implies it was. */
export function loadedElevenLabsSdk(): ElevenLabsSdk | undefined {
  return loaded;
}

/**
 * The SDK module, once {@link loadElevenLabsSdk} resolved.
 * @throws Error before that.
 */
export function elevenLabsSdk(): ElevenLabsSdk {
  if (!loaded) throw new Error('the ElevenLabs SDK is not loaded yet');
  return loaded;
}
