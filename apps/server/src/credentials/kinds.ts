/**
 * Kinds of credentials, the shape of each kind's secret value, and where each kind's secret
 * goes by default (its vendor's API origin).
 */
import { EXOTEL_API_BASE_URL, VOBIZ_API_BASE_URL } from '@parley/telephony';
import { z } from 'zod';

/**
 * The API-key kinds of the speech and language vendors (`VendorDefinition.key.credentialKind`
 * in `@parley/services`): each holds `{ apiKey }`.
 */
export const VENDOR_KEY_KINDS = [
  'openai',
  'anthropic',
  'google',
  'xai',
  'deepgram',
  'cartesia',
  'elevenlabs',
  'sarvam',
] as const;
export type VendorKeyKind = (typeof VENDOR_KEY_KINDS)[number];

/** What a credential is for. `generic`: any named secrets, bound to a destination given explicitly. */
export const CREDENTIAL_KINDS = [...VENDOR_KEY_KINDS, 'twilio', 'exotel', 'vobiz', 'generic'] as const;
export type CredentialKind = (typeof CREDENTIAL_KINDS)[number];

/** Whether `kind` is one of the {@link VENDOR_KEY_KINDS}. */
export function isVendorKeyKind(kind: string): kind is VendorKeyKind {
  return (VENDOR_KEY_KINDS as readonly string[]).includes(kind);
}

const secret = z.string().min(1).max(4000);

const apiKey = z.strictObject({ apiKey: secret });

/** The secret value of each kind, as JSON (sealed as a whole). */
export const credentialValueSchemas = {
  /** An OpenAI-compatible API key (`Authorization: Bearer`). */
  openai: apiKey,
  anthropic: apiKey,
  /** A Gemini API key (`x-goog-api-key`). */
  google: apiKey,
  xai: apiKey,
  deepgram: apiKey,
  cartesia: apiKey,
  elevenlabs: apiKey,
  sarvam: apiKey,
  /** A Twilio account's auth token. */
  twilio: z.strictObject({ authToken: secret }),
  /** An Exotel API token (the API key, its user name, stays in the settings). */
  exotel: z.strictObject({ apiToken: secret }),
  /** A Vobiz `X-Auth-Token`. */
  vobiz: z.strictObject({ authToken: secret }),
  /** Up to 20 named secrets. */
  generic: z
    .record(
      z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'a field name: letters, digits, "_", "." or "-"'),
      secret,
    )
    .refine((value) => Object.keys(value).length >= 1 && Object.keys(value).length <= 20, {
      message: 'between 1 and 20 fields',
    }),
} as const satisfies Record<CredentialKind, z.ZodType>;

/** The decrypted value of a credential of kind `K`. */
export type CredentialValue<K extends CredentialKind> = z.output<(typeof credentialValueSchemas)[K]>;

/** The field a bare string fills, for kinds with one secret (`{ value: "sk-…" }` on the API). */
export const SECRET_FIELDS = {
  openai: 'apiKey',
  anthropic: 'apiKey',
  google: 'apiKey',
  xai: 'apiKey',
  deepgram: 'apiKey',
  cartesia: 'apiKey',
  elevenlabs: 'apiKey',
  sarvam: 'apiKey',
  twilio: 'authToken',
  exotel: 'apiToken',
  vobiz: 'authToken',
} as const satisfies Partial<Record<CredentialKind, string>>;

/** OpenAI's API base URL, the LLM's default. */
export const OPENAI_DEFAULT_BASE_URL = 'https://api.openai.com/v1';

/** Each vendor's default API origin: where its kind's secrets go unless bound elsewhere. */
export const VENDOR_DESTINATIONS: Readonly<Record<Exclude<CredentialKind, 'generic'>, string>> = {
  openai: originOf(OPENAI_DEFAULT_BASE_URL),
  anthropic: 'https://api.anthropic.com',
  google: 'https://generativelanguage.googleapis.com',
  xai: 'https://api.x.ai',
  deepgram: 'https://api.deepgram.com',
  cartesia: 'https://api.cartesia.ai',
  elevenlabs: 'https://api.elevenlabs.io',
  sarvam: 'https://api.sarvam.ai',
  twilio: 'https://api.twilio.com',
  exotel: originOf(EXOTEL_API_BASE_URL),
  vobiz: originOf(VOBIZ_API_BASE_URL),
};

/**
 * Where a new credential of `kind` is bound when no destination is given: the vendor's API
 * origin; for `openai`, the origin of the server's default LLM (`OPENAI_BASE_URL`, else OpenAI's).
 * `undefined` for `generic`, which needs one given.
 */
export function defaultDestination(
  kind: CredentialKind,
  openaiBaseUrl: string | undefined,
): string | undefined {
  if (kind === 'generic') return undefined;
  if (kind === 'openai' && openaiBaseUrl !== undefined) return originOf(openaiBaseUrl);
  return VENDOR_DESTINATIONS[kind];
}

/** A credential's name: lower-case letters, digits, `.`, `_` and `-`, at most 100 characters. */
export const credentialNameSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]{0,99}$/, 'lower-case letters, digits, ".", "_" and "-" (at most 100)');

/**
 * The origin (`scheme://host[:port]`) of an http(s) URL: what a credential is bound to, since
 * the host is where the secret goes (the path does not change who receives it).
 * @throws TypeError when `url` is not an http: or https: URL.
 */
export function originOf(url: string): string {
  const parsed = new URL(url);
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new TypeError(`${url} is not an http: or https: URL`);
  }
  return parsed.origin;
}
