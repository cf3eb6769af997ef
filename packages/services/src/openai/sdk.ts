/**
 * The `openai` SDK, imported on first use, not when `@parley/services` is (most agents never
 * use it, and every process that imports the package would pay for it). Services start loading
 * it when they are built.
 */
export type OpenAISdk = typeof import('openai');

/** The SDK's client class, whose statics are its error classes (`OpenAI.APIError`, …). */
export type OpenAIClass = OpenAISdk['default'];

let loading: Promise<OpenAISdk> | undefined;
let loaded: OpenAISdk | undefined;

/** The SDK module (imported once). */
export function loadOpenAISdk(): Promise<OpenAISdk> {
  loading ??= import('openai').then((sdk) => {
    loaded = sdk;
    return sdk;
  });
  return loading;
}

/** The SDK's client class if the SDK was loaded (an error from the SDK implies it was). */
export function loadedOpenAI(): OpenAIClass | undefined {
  return loaded?.default;
}
