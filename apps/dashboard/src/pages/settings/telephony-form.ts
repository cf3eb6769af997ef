/**
 * The telephony settings form: the API's shape (`/api/telephony-settings`: credential names,
 * never secrets), the form's (strings, an empty "replace" field per secret) and the conversions.
 */

/** The providers, in the order the page shows them. */
export const PROVIDERS = ['twilio', 'exotel', 'vobiz'] as const;
/** A telephony provider Parley speaks to. */
export type Provider = (typeof PROVIDERS)[number];

/** Provider names for people. */
export const PROVIDER_LABELS: Readonly<Record<Provider, string>> = {
  twilio: 'Twilio',
  exotel: 'Exotel',
  vobiz: 'Vobiz',
};

/** The settings as `GET /api/telephony-settings` answers: each secret only as the name of its credential. */
export interface StoredTelephonySettings {
  readonly defaultProvider: Provider | null;
  readonly maxConcurrentCalls: number | null;
  readonly twilio: { accountSid?: string; credential?: string; apiBaseUrl?: string };
  readonly exotel: {
    accountSid?: string;
    apiKey?: string;
    credential?: string;
    apiBaseUrl?: string;
    allowedIps?: string[];
  };
  readonly vobiz: { authId?: string; credential?: string; apiBaseUrl?: string };
  readonly updatedAt: string | null;
}

/** `POST /api/telephony-settings/test`'s answer. */
export interface ConnectionTestResult {
  readonly ok: boolean;
  readonly provider: Provider;
  readonly status: number | null;
  readonly message: string;
}

/** The form's values: text everywhere; a secret field is empty unless the admin replaces it. */
export interface TelephonyForm {
  defaultProvider: '' | Provider;
  maxConcurrentCalls: string;
  twilio: { accountSid: string; authToken: string; apiBaseUrl: string };
  exotel: { accountSid: string; apiKey: string; apiToken: string; apiBaseUrl: string; allowedIps: string };
  vobiz: { authId: string; authToken: string; apiBaseUrl: string };
}

/** Each provider's secret: its form field and its name for people. */
export const SECRET_FIELDS = {
  twilio: { field: 'authToken', label: 'auth token' },
  exotel: { field: 'apiToken', label: 'API token' },
  vobiz: { field: 'authToken', label: 'auth token' },
} as const satisfies Record<Provider, { field: string; label: string }>;

/** The form for stored settings; secret fields start empty (their values are never sent to the browser). */
export function settingsToForm(settings: StoredTelephonySettings): TelephonyForm {
  return {
    defaultProvider: settings.defaultProvider ?? '',
    maxConcurrentCalls: settings.maxConcurrentCalls === null ? '' : String(settings.maxConcurrentCalls),
    twilio: {
      accountSid: settings.twilio.accountSid ?? '',
      authToken: '',
      apiBaseUrl: settings.twilio.apiBaseUrl ?? '',
    },
    exotel: {
      accountSid: settings.exotel.accountSid ?? '',
      apiKey: settings.exotel.apiKey ?? '',
      apiToken: '',
      apiBaseUrl: settings.exotel.apiBaseUrl ?? '',
      allowedIps: (settings.exotel.allowedIps ?? []).join('\n'),
    },
    vobiz: {
      authId: settings.vobiz.authId ?? '',
      authToken: '',
      apiBaseUrl: settings.vobiz.apiBaseUrl ?? '',
    },
  };
}

/** Only the fields with text, trimmed. */
function present(fields: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(fields)
      .map(([key, value]) => [key, value.trim()] as const)
      .filter(([, value]) => value !== ''),
  );
}

/**
 * The body of `PUT /api/telephony-settings` (a whole replacement): each provider keeps the
 * credential it names, and carries its secret inline only when the admin typed a new one.
 */
export function formToBody(form: TelephonyForm, stored: StoredTelephonySettings): Record<string, unknown> {
  const keep = (provider: Provider) =>
    stored[provider].credential === undefined ? {} : { credential: stored[provider].credential };
  const max = form.maxConcurrentCalls.trim();
  const ips = form.exotel.allowedIps
    .split(/[\s,]+/)
    .map((ip) => ip.trim())
    .filter((ip) => ip !== '');
  return {
    defaultProvider: form.defaultProvider === '' ? null : form.defaultProvider,
    maxConcurrentCalls: max === '' ? null : Number(max),
    twilio: { ...keep('twilio'), ...present(form.twilio) },
    exotel: {
      ...keep('exotel'),
      ...present({
        accountSid: form.exotel.accountSid,
        apiKey: form.exotel.apiKey,
        apiToken: form.exotel.apiToken,
        apiBaseUrl: form.exotel.apiBaseUrl,
      }),
      ...(ips.length > 0 ? { allowedIps: ips } : {}),
    },
    vobiz: { ...keep('vobiz'), ...present(form.vobiz) },
  };
}

/**
 * The form field an API issue path concerns: `twilio.accountSid` as is, `exotel.allowedIps.2`
 * → `exotel.allowedIps`, a provider's `credential` → its secret field; undefined otherwise.
 */
export function telephonyFieldOf(path: string): string | undefined {
  const [head, key] = path.split('.');
  if (head === 'defaultProvider' || head === 'maxConcurrentCalls') return head;
  if (head === undefined || key === undefined || !(PROVIDERS as readonly string[]).includes(head))
    return undefined;
  const provider = head as Provider;
  if (key === 'credential' || key === SECRET_FIELDS[provider].field)
    return `${provider}.${SECRET_FIELDS[provider].field}`;
  const known: Record<Provider, readonly string[]> = {
    twilio: ['accountSid', 'apiBaseUrl'],
    exotel: ['accountSid', 'apiKey', 'apiBaseUrl', 'allowedIps'],
    vobiz: ['authId', 'apiBaseUrl'],
  };
  return known[provider].includes(key) ? `${provider}.${key}` : undefined;
}
