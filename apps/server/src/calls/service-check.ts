/**
 * Checks an agent's speech and language services against their vendors before a call needs
 * them: for each service (primaries and failover entries), the key it would use is resolved as
 * for a call (credential, or the server's `<VENDOR>_API_KEY`), and the vendor's `check` reads the
 * model or voice with it through the egress fetch. Keys never appear in the results.
 */
import { findVendor, type VendorCheckCode, type VendorKind } from '@parley/services';
import { z } from 'zod';
import type { AgentConfig } from '../config/agent-config.ts';
import type { ServerConfig } from '../config/server-config.ts';
import { serviceSlots } from '../config/service-slots.ts';
import type { CredentialStore } from '../credentials/store.ts';
import { type EgressPolicy, egressRefusalForTarget } from '../security/egress.ts';
import { serviceBaseUrl } from './service-access.ts';
import { resolveAccess } from './services.ts';

/** What {@link checkAgentServices} needs from the server. */
export interface ServiceCheckDeps {
  readonly config: ServerConfig;
  readonly credentials: CredentialStore;
  readonly egress: EgressPolicy;
  /** The egress fetch: every check request goes through it. */
  readonly fetch: typeof fetch;
  /** Longest wait for one vendor, ms. Default 15000. */
  readonly timeoutMs?: number;
}

/** The outcome for one service of an agent. */
export interface ServiceCheck {
  /** Where it sits in the agent: `stt`, `llm`, `tts`, `failover.<kind>.<i>`. */
  readonly path: string;
  readonly kind: VendorKind;
  readonly provider: string;
  /** `null`: the vendor offers nothing to check with (`not_checked`). */
  readonly ok: boolean | null;
  /** The vendor check's code, or `not_usable` when the service cannot be used at all (no key, a refused address). */
  readonly code: VendorCheckCode | 'not_usable';
  readonly message: string;
}

/**
 * Checks every service of `config`, in parallel.
 * @param inlineKeys Keys given inline with an unsaved agent, by service path (used instead of its credential).
 */
export async function checkAgentServices(
  deps: ServiceCheckDeps,
  config: AgentConfig,
  inlineKeys: ReadonlyMap<string, string> = new Map(),
): Promise<ServiceCheck[]> {
  return Promise.all(
    serviceSlots(config).map(async ({ kind, path, service }): Promise<ServiceCheck> => {
      const { provider } = service;
      const result = (ok: boolean | null, code: ServiceCheck['code'], message: string): ServiceCheck => ({
        path,
        kind,
        provider,
        ok,
        code,
        message,
      });
      const vendor = findVendor(kind, provider);
      if (!vendor)
        return result(null, 'not_checked', `no vendor "${provider}" of kind ${kind} to check with`);
      const inline = inlineKeys.get(path);
      let apiKey: string | undefined;
      if (inline !== undefined) {
        const refusal = service.baseUrl && (await egressRefusalForTarget(deps.egress, service.baseUrl));
        if (refusal) {
          return result(
            false,
            'not_usable',
            `${path}.baseUrl: ${refusal}; Parley does not connect there unless EGRESS_ALLOW allows it`,
          );
        }
        apiKey = inline;
      } else {
        const access = await resolveAccess(deps, vendor, service, path);
        if (!access.ok) return result(false, 'not_usable', access.problem);
        apiKey = access.apiKey;
      }
      const options = z.object(vendor.options).parse(service);
      try {
        const checked = await vendor.check(options, {
          apiKey,
          baseUrl: serviceBaseUrl(vendor, service, deps.config.vendorEnv),
          fetch: deps.fetch,
          signal: AbortSignal.timeout(deps.timeoutMs ?? 15_000),
        });
        return result(checked.ok, checked.code, checked.message);
      } catch (error) {
        // `check` does not reject; a vendor module that fails to load does.
        return result(false, 'vendor_error', error instanceof Error ? error.message : String(error));
      }
    }),
  );
}
