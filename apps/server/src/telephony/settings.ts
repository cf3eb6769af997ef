/**
 * Telephony settings: provider credentials, the default provider for outbound calls and the
 * concurrency limit. Stored as one row (`telephony_settings`), validated here with zod at the
 * boundary (the API and the stored JSON).
 */
import type { ProviderName } from '@parley/telephony';
import { z } from 'zod';

/** Every provider Parley speaks to. */
export const PROVIDERS: readonly ProviderName[] = ['twilio', 'exotel', 'vobiz'];

const secret = z.string().min(1).max(500);
const id = z.string().trim().min(1).max(200);
const baseUrl = z.url().max(500);

const twilioSchema = z.strictObject({
  /** `AC` and 32 hex digits (twilio-node refuses anything else); needed for outbound calls and hang-ups. */
  accountSid: z
    .string()
    .trim()
    .regex(/^AC[0-9a-fA-F]{32}$/, 'a Twilio account SID: AC and 32 hex digits')
    .optional(),
  /** Signs webhooks and media streams (checked when set) and authenticates REST calls. */
  authToken: secret.optional(),
  /** REST API origin; default `https://api.twilio.com` (tests point it at a fake). */
  apiBaseUrl: baseUrl.optional(),
});

const exotelSchema = z.strictObject({
  /** The account SID (the `{sid}` of Exotel's REST paths). */
  accountSid: id.optional(),
  /** API key: REST user name, and the Basic-auth user the Voicebot applet's stream URL carries. */
  apiKey: id.optional(),
  /** API token: REST password, and the stream's Basic-auth password. */
  apiToken: secret.optional(),
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
  /** `X-Auth-Token`; also the key of the `X-Vobiz-Signature-V3` callback signatures (checked when set). */
  authToken: secret.optional(),
  /** REST API base; default `https://api.vobiz.ai/api/v1`. */
  apiBaseUrl: baseUrl.optional(),
});

/** What the stored `providers` JSON and the API's provider objects hold. */
export const providerSettingsSchema = z.strictObject({
  twilio: twilioSchema.default({}),
  exotel: exotelSchema.default({}),
  vobiz: vobizSchema.default({}),
});

/** The body of `PUT /api/telephony-settings` (a whole replacement; see `routes/api-telephony-settings.ts`). */
export const telephonySettingsInputSchema = z.strictObject({
  /** Provider of outbound calls that name none; null: the only provider with credentials, if one. */
  defaultProvider: z.enum(['twilio', 'exotel', 'vobiz']).nullable().default(null),
  /**
   * Most simultaneous calls (inbound and outbound) this server takes; null: the server's default
   * (`MAX_CONCURRENT_CALLS`, else derived from the machine's cores and memory).
   */
  maxConcurrentCalls: z.number().int().min(1).max(100_000).nullable().default(null),
  ...providerSettingsSchema.shape,
});

/** Exotel's part of the settings (see {@link ProviderSettings}). */
export type ExotelSettings = z.infer<typeof exotelSchema>;
export type ProviderSettings = z.infer<typeof providerSettingsSchema>;

/** The telephony settings, secrets included (server-side only; the API masks them). */
export interface TelephonySettings extends ProviderSettings {
  readonly defaultProvider: ProviderName | null;
  readonly maxConcurrentCalls: number | null;
  readonly updatedAt: Date | null;
}

/** Settings of a fresh server: no credentials, the server's default limit. */
export const EMPTY_TELEPHONY_SETTINGS: TelephonySettings = {
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
