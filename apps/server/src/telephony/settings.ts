/**
 * Telephony settings: provider accounts and the credentials (by name) that hold their secrets,
 * the default provider for outbound calls and the concurrency limit. Stored as one row
 * (`telephony_settings`), validated here with zod at the boundary (the API and the stored JSON).
 */
import type { ProviderName } from '@parley/telephony';
import { z } from 'zod';
import { credentialNameSchema, originOf, VENDOR_DESTINATIONS } from '../credentials/kinds.ts';

/** Every provider Parley speaks to. */
export const PROVIDERS: readonly ProviderName[] = ['twilio', 'exotel', 'vobiz'];

const secret = z.string().min(1).max(500);
const id = z.string().trim().min(1).max(200);
const baseUrl = z.url({ protocol: /^https?$/ }).max(500);
/** The name of a credential (see `credentials/`) holding the provider's secret. */
const credential = credentialNameSchema;

const twilioSchema = z.strictObject({
  /** `AC` and 32 hex digits (twilio-node refuses anything else); needed for outbound calls and hang-ups. */
  accountSid: z
    .string()
    .trim()
    .regex(/^AC[0-9a-fA-F]{32}$/, 'a Twilio account SID: AC and 32 hex digits')
    .optional(),
  /**
   * Credential (kind `twilio`) of the auth token, which signs webhooks and media streams
   * (checked when set) and authenticates REST calls.
   */
  credential: credential.optional(),
  /** REST API origin; default `https://api.twilio.com` (tests point it at a fake). */
  apiBaseUrl: baseUrl.optional(),
});

const exotelSchema = z.strictObject({
  /** The account SID (the `{sid}` of Exotel's REST paths). */
  accountSid: id.optional(),
  /** API key: REST user name, and the Basic-auth user the Voicebot applet's stream URL carries. */
  apiKey: id.optional(),
  /** Credential (kind `exotel`) of the API token: REST password, and the stream's Basic-auth password. */
  credential: credential.optional(),
  /** REST API origin; default `https://api.exotel.com` (Mumbai: `https://api.in.exotel.com`). */
  apiBaseUrl: baseUrl.optional(),
  /** When set, Exotel media streams are accepted only from these IP addresses. */
  allowedIps: z
    .array(z.union([z.ipv4(), z.ipv6()]))
    .max(100)
    .optional(),
});

const vobizSchema = z.strictObject({
  /** `X-Auth-ID` of the REST API (the `{auth_id}` of its paths). */
  authId: id.optional(),
  /** Credential (kind `vobiz`) of the `X-Auth-Token`, also the key of `X-Vobiz-Signature-V3` (checked when set). */
  credential: credential.optional(),
  /** REST API base; default `https://api.vobiz.ai/api/v1`. */
  apiBaseUrl: baseUrl.optional(),
});

/** What the stored `providers` JSON and the API's provider objects hold: no secrets, credential names. */
export const providerSettingsSchema = z.strictObject({
  twilio: twilioSchema.default({}),
  exotel: exotelSchema.default({}),
  vobiz: vobizSchema.default({}),
});

/** The secret field each provider's section accepts on input (stored in its credential). */
export const PROVIDER_SECRET_FIELDS = {
  twilio: 'authToken',
  exotel: 'apiToken',
  vobiz: 'authToken',
} as const satisfies Record<ProviderName, string>;

/**
 * The body of `PUT /api/telephony-settings` (a whole replacement; see
 * `routes/api-telephony-settings.ts`): the stored shape, where each provider may also carry its
 * secret inline (`twilio.authToken`, `exotel.apiToken`, `vobiz.authToken`), which the API
 * moves into the provider's credential.
 */
export const telephonySettingsInputSchema = z.strictObject({
  /** Provider of outbound calls that name none; null: the only provider with credentials, if one. */
  defaultProvider: z.enum(['twilio', 'exotel', 'vobiz']).nullable().default(null),
  /**
   * Most simultaneous calls (inbound and outbound) this server takes; null: the server's default
   * (`MAX_CONCURRENT_CALLS`, else derived from the machine's cores and memory).
   */
  maxConcurrentCalls: z.number().int().min(1).max(100_000).nullable().default(null),
  twilio: twilioSchema.extend({ authToken: secret.optional() }).default({}),
  exotel: exotelSchema.extend({ apiToken: secret.optional() }).default({}),
  vobiz: vobizSchema.extend({ authToken: secret.optional() }).default({}),
});

/** The settings as stored and shown: credential names, no secrets. */
export type StoredProviderSettings = z.infer<typeof providerSettingsSchema>;

/** Exotel's part of the settings, its API token read from its credential (see {@link ProviderSettings}). */
export type ExotelSettings = StoredProviderSettings['exotel'] & { readonly apiToken?: string };

/** The provider settings with each secret read from its credential (server-side only). */
export interface ProviderSettings {
  readonly twilio: StoredProviderSettings['twilio'] & { readonly authToken?: string };
  readonly exotel: ExotelSettings;
  readonly vobiz: StoredProviderSettings['vobiz'] & { readonly authToken?: string };
}

/** The telephony settings as stored and as the API shows them: no secrets. */
export interface StoredTelephonySettings extends StoredProviderSettings {
  readonly defaultProvider: ProviderName | null;
  readonly maxConcurrentCalls: number | null;
  readonly updatedAt: Date | null;
}

/** The telephony settings, secrets included (server-side only; never sent by the API). */
export interface TelephonySettings extends ProviderSettings {
  readonly defaultProvider: ProviderName | null;
  readonly maxConcurrentCalls: number | null;
  readonly updatedAt: Date | null;
}

/** Settings of a fresh server: no credentials, the server's default limit. */
export const EMPTY_TELEPHONY_SETTINGS: TelephonySettings & StoredTelephonySettings = {
  defaultProvider: null,
  maxConcurrentCalls: null,
  twilio: {},
  exotel: {},
  vobiz: {},
  updatedAt: null,
};

/** Whether the settings hold what placing and ending calls through `provider`'s REST API needs. */
export function canPlaceCalls(settings: ProviderSettings, provider: ProviderName): boolean {
  switch (provider) {
    case 'twilio':
      return Boolean(settings.twilio.accountSid && settings.twilio.authToken);
    case 'exotel':
      return Boolean(settings.exotel.accountSid && settings.exotel.apiKey && settings.exotel.apiToken);
    case 'vobiz':
      return Boolean(settings.vobiz.authId && settings.vobiz.authToken);
  }
}

/** The origin `provider`'s REST requests (and so its secret) go to: its `apiBaseUrl`, else the vendor's. */
export function providerApiOrigin(
  provider: ProviderName,
  settings: { readonly [P in ProviderName]: { readonly apiBaseUrl?: string } },
): string {
  return originOf(settings[provider].apiBaseUrl ?? VENDOR_DESTINATIONS[provider]);
}
