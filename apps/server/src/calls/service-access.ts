/**
 * Where an agent's vendor requests go and which API key they carry: a secret only goes where
 * it is bound. A service's credential must be bound to the origin of its base URL; the
 * server's key for a vendor (`DEEPGRAM_API_KEY`, …) goes only to that vendor's API or to the
 * server's own base URL for it (`DEEPGRAM_BASE_URL`, …).
 */
import type { VendorDefinition } from '@parley/services';
import type { ServiceConfig } from '../config/agent-config.ts';
import { CredentialError } from '../credentials/errors.ts';
import { isVendorKeyKind, originOf } from '../credentials/kinds.ts';
import type { CredentialStore } from '../credentials/store.ts';

/** The vendor variables set in the server's environment (`ServerConfig.vendorEnv`). */
export type VendorEnv = Readonly<Record<string, string>>;

/** The base URL of a service: its own, else the server's `<VENDOR>_BASE_URL`, else the vendor's. */
export function serviceBaseUrl(
  vendor: VendorDefinition,
  service: ServiceConfig,
  env: VendorEnv,
): string | undefined {
  return service.baseUrl ?? (vendor.baseUrlVariable && env[vendor.baseUrlVariable]) ?? vendor.defaultBaseUrl;
}

/** The origins the server's key for `vendor` may be sent to: the vendor's API and the server's base URL for it. */
export function envKeyDestinations(vendor: VendorDefinition, env: VendorEnv): string[] {
  const urls = [vendor.defaultBaseUrl, vendor.baseUrlVariable && env[vendor.baseUrlVariable]];
  return urls.filter((url): url is string => typeof url === 'string' && url !== '').map(originOf);
}

/**
 * The API key of a service's requests:
 * - with `credential`: read from the store (it must be of the vendor's kind and bound to the
 *   origin of {@link serviceBaseUrl});
 * - else the server's key for the vendor when the base URL's origin is one of {@link envKeyDestinations};
 * - else `undefined` (no key: a self-hosted server, or a base URL the server key may not reach).
 * @param path Where the service sits in the agent (`stt`, `failover.llm.0`), for messages.
 * @throws {@link CredentialError} when the credential is missing, of another kind or bound elsewhere.
 */
export async function serviceApiKey(
  vendor: VendorDefinition,
  service: ServiceConfig,
  env: VendorEnv,
  credentials: CredentialStore,
  path: string,
): Promise<string | undefined> {
  if (!vendor.key) return undefined;
  const baseUrl = serviceBaseUrl(vendor, service, env);
  const kind = vendor.key.credentialKind;
  if (service.credential !== undefined) {
    if (!isVendorKeyKind(kind) || baseUrl === undefined) {
      throw new CredentialError(
        'credential_kind_mismatch',
        `${path}.credential: ${vendor.label} takes no credential`,
      );
    }
    return (await credentials.reveal(service.credential, kind, baseUrl, `${path}.credential`)).apiKey;
  }
  const key = env[vendor.key.variable];
  if (
    key !== undefined &&
    baseUrl !== undefined &&
    envKeyDestinations(vendor, env).includes(originOf(baseUrl))
  ) {
    return key;
  }
  return undefined;
}
