/**
 * Where an agent's LLM requests go and which API key they carry: a secret only goes where it
 * is bound. An agent's credential must be bound to the origin of its LLM base URL; the
 * server's `OPENAI_API_KEY` goes only to OpenAI's API or to the server's own `OPENAI_BASE_URL`.
 */
import type { AgentConfig } from '../config/agent-config.ts';
import type { ServerConfig } from '../config/server-config.ts';
import { OPENAI_DEFAULT_BASE_URL, originOf, VENDOR_DESTINATIONS } from '../credentials/kinds.ts';
import type { CredentialStore } from '../credentials/store.ts';

type LlmServerConfig = Pick<ServerConfig, 'openaiApiKey' | 'openaiBaseUrl'>;

/** The base URL of the agent's LLM: its own, else `OPENAI_BASE_URL`, else OpenAI's. */
export function llmBaseUrl(llm: AgentConfig['llm'], config: LlmServerConfig): string {
  return llm.baseUrl ?? config.openaiBaseUrl ?? OPENAI_DEFAULT_BASE_URL;
}

/** The origins `OPENAI_API_KEY` may be sent to: OpenAI's and `OPENAI_BASE_URL`'s. */
export function envKeyDestinations(config: LlmServerConfig): string[] {
  const destinations = [VENDOR_DESTINATIONS.openai];
  if (config.openaiBaseUrl !== undefined) destinations.push(originOf(config.openaiBaseUrl));
  return destinations;
}

/**
 * The API key of the agent's LLM requests:
 * - with `llm.credential`: a function reading it from the store when a request needs it
 *   (rejecting with a `CredentialError` when the credential is missing, of another kind or
 *   bound to another origin than {@link llmBaseUrl}'s);
 * - else `OPENAI_API_KEY` when the base URL's origin is one of {@link envKeyDestinations};
 * - else `undefined` (no key: a self-hosted server, or a base URL the server key may not reach).
 */
export function llmApiKey(
  llm: AgentConfig['llm'],
  config: LlmServerConfig,
  credentials: CredentialStore,
): string | (() => Promise<string>) | undefined {
  const baseUrl = llmBaseUrl(llm, config);
  if (llm.credential !== undefined) {
    const name = llm.credential;
    let pending: Promise<string> | undefined;
    return () => {
      pending ??= credentials.reveal(name, 'openai', baseUrl, 'llm.credential').then(
        (value) => value.apiKey,
        (error: unknown) => {
          pending = undefined; // a later request tries again
          throw error;
        },
      );
      return pending;
    };
  }
  if (config.openaiApiKey !== undefined && envKeyDestinations(config).includes(originOf(baseUrl))) {
    return config.openaiApiKey;
  }
  return undefined;
}
