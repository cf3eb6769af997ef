/**
 * `GET /api/vendors`: the services an agent can configure, per kind, with each vendor's
 * options as JSON Schema (derived from the registry's zod shapes), so that a client can render
 * and check them. Read-only; no secret is involved (keys are named by credential).
 */
import { VENDORS, type VendorDefinition, type VendorKind } from '@parley/services';
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';

/** One vendor as the API describes it. */
export interface PublicVendor {
  /** The `provider` value of a service of this kind, e.g. `deepgram`. */
  readonly provider: string;
  readonly label: string;
  /** Whether the service takes `credential` and `baseUrl` (a keyed or remote vendor). */
  readonly access: boolean;
  /** The credential kind of its key (e.g. `openai`), when it takes one. */
  readonly credentialKind?: string;
  /** Whether the vendor refuses requests without a key. */
  readonly keyRequired?: boolean;
  /** The vendor's API base URL, when remote. */
  readonly defaultBaseUrl?: string;
  /** Whether the service takes `responseTimeoutSecs` (LLM and TTS). */
  readonly responseTimeout: boolean;
  /** The vendor's own options: a JSON Schema object (draft 2020-12) of the input, with defaults. */
  readonly options: Record<string, unknown>;
}

/** The body of `GET /api/vendors`: vendors by kind, the first of each being the default. */
export interface VendorsBody {
  readonly vendors: { readonly [K in VendorKind]: readonly PublicVendor[] };
}

function describeVendor(vendor: VendorDefinition): PublicVendor {
  return {
    provider: vendor.provider,
    label: vendor.label,
    access: vendor.key !== undefined || vendor.defaultBaseUrl !== undefined,
    ...(vendor.key ? { credentialKind: vendor.key.credentialKind, keyRequired: vendor.key.required } : {}),
    ...(vendor.defaultBaseUrl ? { defaultBaseUrl: vendor.defaultBaseUrl } : {}),
    responseTimeout: vendor.kind !== 'stt',
    options: z.toJSONSchema(z.strictObject(vendor.options), { io: 'input', unrepresentable: 'any' }),
  };
}

/** Computed once: the registry does not change while the server runs. */
let described: VendorsBody | undefined;

/** The registry's vendors as {@link VendorsBody}. */
export function describeVendors(): VendorsBody {
  described ??= {
    vendors: {
      stt: VENDORS.stt.map(describeVendor),
      llm: VENDORS.llm.map(describeVendor),
      tts: VENDORS.tts.map(describeVendor),
    },
  };
  return described;
}

/** `GET /api/vendors` (any signed-in role): {@link VendorsBody}. */
export function apiVendorsRoutes(): FastifyPluginAsync {
  return async (app) => {
    app.get('/api/vendors', async () => describeVendors());
  };
}
