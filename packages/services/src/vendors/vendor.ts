/**
 * What a vendor adapter declares so that a server can offer it in an agent's configuration:
 * its agent-facing options (a zod shape with defaults), where its key lives and goes, and how
 * to build the service. Adding a vendor is its folder plus one line in `registry.ts`.
 */
import { rootCertificates } from 'node:tls';
import type { LLMService, STTService, TTSService } from '@parley/pipeline';
import type { z } from 'zod';
import type { VendorCheckAccess, VendorCheckResult } from './check.ts';

/** The kinds of service an agent configures. */
export type VendorKind = 'stt' | 'llm' | 'tts';

/** The service class of each kind. */
export interface ServiceOfKind {
  stt: STTService;
  llm: LLMService;
  tts: TTSService;
}

/** What the server resolved for one service of one call. */
export interface VendorAccess {
  /** The API key; `undefined` when none is configured (self-hosted endpoints, local engines). */
  readonly apiKey: string | undefined;
  /** The agent's or the server's base URL; `undefined`: the vendor's own. */
  readonly baseUrl: string | undefined;
  /** A `fetch` whose connections obey the server's egress policy, for SDKs that take one. */
  readonly fetch: typeof fetch | undefined;
  /** BCP 47 tag of the conversation (the agent's `language`), e.g. `en-US`, `hi-IN`. */
  readonly language: string;
  /** Longest wait for a response's first piece (and between pieces), ms; `undefined`: the service's default. */
  readonly responseTimeoutMs: number | undefined;
  /** The processor's name in metrics, errors and failover events (e.g. `llm:anthropic`). */
  readonly name: string;
  /**
   * Extra CA certificates (PEM) to trust for TLS connections the service opens itself (the
   * server's `VENDOR_CA_FILE`), in addition to Node's default roots; `undefined`: the defaults
   * only. See {@link trustedCaOption}.
   */
  readonly ca?: string;
}

/**
 * A vendor adapter of kind `K`, offered under the name `P` (`stt.provider: "deepgram"`), with
 * agent-facing options `O` (a zod object shape; every field optional or defaulted).
 */
export interface VendorDefinition<
  K extends VendorKind = VendorKind,
  P extends string = string,
  O extends z.ZodRawShape = z.ZodRawShape,
> {
  readonly kind: K;
  readonly provider: P;
  /** How to name the vendor in messages, e.g. `Deepgram`. */
  readonly label: string;
  /** The options an agent may set, validated at the API boundary; documented per field. */
  readonly options: O;
  /**
   * The credential kind holding its key (several vendors' services may share one, e.g.
   * Deepgram STT and TTS), the environment variable of the server's default key, and the
   * origin the key goes to by default. Absent for engines that need no key.
   */
  readonly key?: {
    readonly credentialKind: string;
    readonly variable: string;
    /** `true`: the vendor refuses requests without a key (self-hosted compatible servers may not). */
    readonly required: boolean;
  };
  /** The vendor's API base URL (an http(s) URL; its origin is where keys go by default). */
  readonly defaultBaseUrl?: string;
  /** Environment variable that overrides {@link defaultBaseUrl} for the whole server, e.g. `DEEPGRAM_BASE_URL`. */
  readonly baseUrlVariable?: string;
  /** Builds the service for one call. */
  create(options: z.output<z.ZodObject<O>>, access: VendorAccess): ServiceOfKind[K];
  /**
   * Checks the key and the model or voice of `options` with one cheap authenticated request
   * (see `check.ts`); the vendor's code for it is loaded only when called. Never rejects: a
   * failure is a result.
   */
  check(options: z.output<z.ZodObject<O>>, access: VendorCheckAccess): Promise<VendorCheckResult>;
}

/**
 * Declares a vendor (an identity function that keeps the literal types of `kind`, `provider`
 * and the options shape).
 */
export function defineVendor<K extends VendorKind, P extends string, O extends z.ZodRawShape>(
  vendor: VendorDefinition<K, P, O>,
): VendorDefinition<K, P, O> {
  return vendor;
}

/** A service's `responseTimeoutMs` option from {@link VendorAccess} (none: the service's default). */
export function responseTimeoutOption(access: VendorAccess): { responseTimeoutMs?: number } {
  return access.responseTimeoutMs === undefined ? {} : { responseTimeoutMs: access.responseTimeoutMs };
}

/**
 * A service's `ca` option (the whole trust list, which replaces Node's) from {@link VendorAccess}:
 * Node's default roots (`tls.rootCertificates`) plus `access.ca`, so that the vendor's real
 * certificate still verifies; none when there is no extra CA (Node's defaults apply as they are).
 */
export function trustedCaOption(access: VendorAccess): { ca?: string } {
  return access.ca === undefined ? {} : { ca: [...rootCertificates, access.ca].join('\n') };
}
