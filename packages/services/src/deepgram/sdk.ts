/**
 * The Deepgram SDK, imported on first use, not when `@parley/services` is (it takes seconds of
 * CPU to load). Services start loading it when they are built.
 */
export type DeepgramSdk = typeof import('@deepgram/sdk');

let loading: Promise<DeepgramSdk> | undefined;
let loaded: DeepgramSdk | undefined;

/** The SDK module (imported once). */
export function loadDeepgramSdk(): Promise<DeepgramSdk> {
  loading ??= import('@deepgram/sdk').then((sdk) => {
    loaded = sdk;
    return sdk;
  });
  return loading;
}

/** The SDK module if it was loaded (an error from the SDK implies it was). */
export function loadedDeepgramSdk(): DeepgramSdk | undefined {
  return loaded;
}
