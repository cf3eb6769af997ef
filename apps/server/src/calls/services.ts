import {
  FailoverLLMService,
  FailoverSTTService,
  FailoverTTSService,
  type LLMService,
  type STTService,
  type TTSService,
} from '@parley/pipeline';
import {
  type FliteVoice,
  findVendor,
  LocalSTTService,
  LocalTTSService,
  type ServiceOfKind,
  type VendorDefinition,
  type VendorKind,
} from '@parley/services';
import { z } from 'zod';
import type { AgentConfig, ServiceConfig } from '../config/agent-config.ts';
import type { ServerConfig } from '../config/server-config.ts';
import { serviceSlots } from '../config/service-slots.ts';
import { CredentialError } from '../credentials/errors.ts';
import type { CredentialStore } from '../credentials/store.ts';
import { createEgressFetch, type EgressPolicy, egressRefusalForTarget } from '../security/egress.ts';
import { serverEgressPolicy } from '../security/server-egress.ts';
import { DisabledSTTService } from './disabled-stt.ts';
import type { EngineChecker, EngineStatus } from './engines.ts';
import { NoticeLLMService } from './notice-llm.ts';
import { serviceApiKey, serviceBaseUrl } from './service-access.ts';

/** Something an operator must fix before the agent can work. */
export interface SetupProblem {
  /** One short sentence a synthesiser can say to the caller (no commands, no URLs); absent when it cannot be said. */
  readonly spoken?: string;
  /** What is wrong and the exact fix, for the log. */
  readonly detail: string;
}

/** The STT, LLM and TTS of one call, and what is wrong with the set-up. */
export interface CallServices {
  readonly stt: STTService;
  readonly llm: LLMService;
  readonly tts: TTSService;
  /** Problems an operator must fix (said to the caller once, before the greeting); empty when all is well. */
  readonly problems: SetupProblem[];
}

/** Builds services for an agent when its call starts; tests replace it to inject fakes. */
export type ServiceFactory = (agent: AgentConfig) => CallServices | Promise<CallServices>;

const NO_STT_SPOKEN = 'Speech recognition is not installed on this server.';
const NO_LLM = {
  spoken: 'No language model is set up for this agent.',
  detail:
    "the agent has no language model: set OPENAI_API_KEY on the server, or an openai credential as the agent's llm.credential, " +
    'or an OpenAI-compatible server with OPENAI_BASE_URL / llm.baseUrl (e.g. http://127.0.0.1:11434/v1 for Ollama)',
};

/** What building one service needs. */
interface BuildContext {
  readonly config: ServerConfig;
  readonly credentials: CredentialStore;
  readonly egress: EgressPolicy;
  readonly egressFetch: typeof fetch;
  readonly engines: EngineStatus;
  readonly agent: AgentConfig;
  readonly problems: SetupProblem[];
}

/**
 * The production factory: each service of the agent from `@parley/services`' vendor registry
 * (`stt`, `llm`, `tts`, then `failover.*`), with keys from the agent's credentials or the
 * server's `<VENDOR>_API_KEY` (see `service-access.ts`), requests under the egress policy
 * (`EGRESS_ALLOW`; see `security/egress.ts`), the extra CAs of `VENDOR_CA_FILE` for TLS the
 * service opens itself, and the agent's language. A service that cannot be built is a set-up
 * problem; the call still runs: the local engines, a disabled STT or an LLM that tells the
 * caller what is missing stand in. The local engines are checked
 * again for every call (`engines`), so one installed while the server runs is used from the
 * next call on.
 */
export function defaultServiceFactory(
  config: ServerConfig,
  engines: EngineChecker,
  credentials: CredentialStore,
): ServiceFactory {
  const egress = serverEgressPolicy(config);
  const egressFetch = createEgressFetch(egress);
  return async (agent) => {
    const problems: SetupProblem[] = [];
    const ctx: BuildContext = {
      config,
      credentials,
      egress,
      egressFetch,
      engines: await engines(),
      agent,
      problems,
    };
    const stt = sttChain(await buildChain(ctx, 'stt')) ?? new DisabledSTTService();
    const llm = llmChain(await buildChain(ctx, 'llm')) ?? new NoticeLLMService(NO_LLM.spoken);
    const tts =
      ttsChain(await buildChain(ctx, 'tts')) ??
      new LocalTTSService(responseTimeout(agent.tts.responseTimeoutSecs));
    return { stt, llm, tts, problems };
  };
}

/** Builds a service of one kind (each call of it a new instance). */
type Maker<K extends VendorKind> = () => ServiceOfKind[K];

/** The speech recognisers of the chain: one, or a failover over all (new instances when switching back). */
function sttChain(makers: Maker<'stt'>[]): STTService | undefined {
  if (makers.length <= 1) return makers[0]?.();
  return new FailoverSTTService(makers, { name: 'stt:failover' });
}

function llmChain(makers: Maker<'llm'>[]): LLMService | undefined {
  if (makers.length <= 1) return makers[0]?.();
  return new FailoverLLMService(
    makers.map((make) => make()),
    { name: 'llm:failover' },
  );
}

function ttsChain(makers: Maker<'tts'>[]): TTSService | undefined {
  if (makers.length <= 1) return makers[0]?.();
  return new FailoverTTSService(
    makers.map((make) => make()),
    { name: 'tts:failover' },
  );
}

/**
 * The services of `kind` that can be built, primary first, then the failover list; problems
 * noted for the others (said to the caller only when none of the kind can be built).
 */
async function buildChain<K extends VendorKind>(ctx: BuildContext, kind: K): Promise<Maker<K>[]> {
  const slots = serviceSlots(ctx.agent).filter((slot) => slot.kind === kind);
  const problems: SetupProblem[] = [];
  const makers: Maker<K>[] = [];
  for (const { path, service } of slots) {
    const maker = await buildService({ ...ctx, problems }, kind, service, path);
    if (maker) makers.push(maker);
  }
  for (const problem of problems) {
    ctx.problems.push(makers.length > 0 ? { detail: problem.detail } : problem);
  }
  return makers;
}

/** A maker of one service, or `undefined` with a problem noted. */
async function buildService<K extends VendorKind>(
  ctx: BuildContext,
  kind: K,
  service: ServiceConfig,
  path: string,
): Promise<Maker<K> | undefined> {
  // `fake` services exist only in tests' factories: production runs the local engines instead.
  const provider = service.provider === 'fake' ? 'local' : service.provider;
  if (provider === 'local') return buildLocal(ctx, kind, service, serviceName(path, provider));
  const vendor = findVendor(kind, provider);
  if (!vendor) {
    ctx.problems.push({ detail: `${path}.provider: no vendor "${provider}" of kind ${kind} on this server` });
    return undefined;
  }
  const access = await resolveAccess(ctx, vendor, service, path);
  if (!access.ok) {
    ctx.problems.push(unusable(vendor, path, access.problem));
    return undefined;
  }
  const options = z.object(vendor.options).parse(service);
  const create = () =>
    vendor.create(options, {
      apiKey: access.apiKey,
      baseUrl: serviceBaseUrl(vendor, service, ctx.config.vendorEnv),
      fetch: ctx.egressFetch,
      language: ctx.agent.language,
      responseTimeoutMs: responseTimeout(service.responseTimeoutSecs).responseTimeoutMs,
      name: serviceName(path, provider),
      ...(ctx.config.vendorCa === undefined ? {} : { ca: ctx.config.vendorCa }),
    });
  // Constructors check their options: build the first instance now (a problem found at set-up,
  // not mid-call) and hand it out first; later calls (an STT failover coming back) build anew.
  let first: ServiceOfKind[K] | undefined;
  try {
    first = create();
  } catch (error) {
    ctx.problems.push(unusable(vendor, path, error instanceof Error ? error.message : String(error)));
    return undefined;
  }
  return () => {
    const built = first ?? create();
    first = undefined;
    return built;
  };
}

/**
 * The key of a vendor service (none when it needs none), or why it cannot be used: no key
 * where one is required, a credential that does not fit, a base URL the egress policy refuses.
 */
export async function resolveAccess(
  ctx: Pick<BuildContext, 'config' | 'credentials' | 'egress'>,
  vendor: VendorDefinition,
  service: ServiceConfig,
  path: string,
): Promise<{ ok: true; apiKey: string | undefined } | { ok: false; problem: string }> {
  const refuse = (problem: string) => ({ ok: false, problem }) as const;
  const baseUrl = serviceBaseUrl(vendor, service, ctx.config.vendorEnv);
  if (service.baseUrl !== undefined) {
    const refusal = await egressRefusalForTarget(ctx.egress, service.baseUrl);
    if (refusal !== undefined) {
      return refuse(
        `${path}.baseUrl: ${refusal}; Parley does not connect there unless EGRESS_ALLOW allows it`,
      );
    }
  }
  let apiKey: string | undefined;
  try {
    apiKey = await serviceApiKey(vendor, service, ctx.config.vendorEnv, ctx.credentials, path);
  } catch (error) {
    if (error instanceof CredentialError) return refuse(error.message);
    throw error;
  }
  const key = vendor.key;
  if (apiKey !== undefined || !key) return { ok: true, apiKey };
  if (key.required || baseUrl === vendor.defaultBaseUrl) {
    return refuse(
      `no ${vendor.label} API key: set ${key.variable} on the server, or a ${key.credentialKind} ` +
        `credential bound to ${baseUrl ?? 'its API'} as the agent's ${path}.credential`,
    );
  }
  return { ok: true, apiKey: undefined }; // a compatible server elsewhere may need no key
}

function unusable(vendor: VendorDefinition, path: string, detail: string): SetupProblem {
  if (vendor.kind === 'llm' && vendor.provider === 'openai' && detail.startsWith('no OpenAI API key')) {
    return NO_LLM;
  }
  const what = { stt: 'Speech recognition', llm: 'The language model', tts: 'Speech synthesis' }[vendor.kind];
  return { spoken: `${what} for this agent is not set up.`, detail: `${path} (${vendor.label}): ${detail}` };
}

/** The embedded engines (`local`), when installed. */
function buildLocal<K extends VendorKind>(
  { engines, problems }: BuildContext,
  kind: K,
  service: ServiceConfig,
  name: string,
): Maker<K> | undefined {
  if (kind === 'stt') {
    if (!engines.stt.ok) {
      problems.push({ spoken: NO_STT_SPOKEN, detail: `speech recognition: ${engines.stt.reason}` });
      return undefined;
    }
    const command = engines.stt.command;
    return (() => new LocalSTTService({ name, ...(command ? { command } : {}) })) as unknown as Maker<K>;
  }
  if (kind === 'tts') {
    if (!engines.tts.ok) problems.push({ detail: `speech synthesis: ${engines.tts.reason}` }); // unsayable
    const voice = service.provider === 'local' ? (service.voice as FliteVoice | undefined) : undefined;
    const options = { name, ...(voice ? { voice } : {}), ...responseTimeout(service.responseTimeoutSecs) };
    return (() => new LocalTTSService(options)) as unknown as Maker<K>;
  }
  return undefined;
}

/** A service's processor name: where it sits in the agent and its vendor, e.g. `failover.llm.0:anthropic`. */
function serviceName(path: string, provider: string): string {
  return `${path}:${provider}`;
}

/** A service's `responseTimeoutMs` option from an agent's seconds (none: the service's default). */
export function responseTimeout(secs: number | undefined): { responseTimeoutMs?: number } {
  return secs === undefined ? {} : { responseTimeoutMs: secs * 1000 };
}
