import type { LLMService, STTService, TTSService } from '@parley/pipeline';
import { LocalSTTService, LocalTTSService, OpenAILLMService } from '@parley/services';
import type { AgentConfig } from '../config/agent-config.ts';
import type { ServerConfig } from '../config/server-config.ts';
import type { CredentialStore } from '../credentials/store.ts';
import { createEgressFetch } from '../security/egress.ts';
import { serverEgressPolicy } from '../security/server-egress.ts';
import { DisabledSTTService } from './disabled-stt.ts';
import { llmApiKey, llmBaseUrl } from './llm-access.ts';
import { NoticeLLMService } from './notice-llm.ts';

/** The STT, LLM and TTS of one call, and what is wrong with the set-up (spoken to the caller). */
export interface CallServices {
  readonly stt: STTService;
  readonly llm: LLMService;
  readonly tts: TTSService;
  /** Problems an operator must fix, in words a caller can hear; empty when all is well. */
  readonly problems: string[];
}

/** Which local engines work on this machine (checked once at start-up). */
export interface EngineStatus {
  readonly stt: { readonly ok: boolean; readonly reason?: string };
  readonly tts: { readonly ok: boolean; readonly reason?: string };
}

/** Builds services for an agent; tests replace it to inject fakes. */
export type ServiceFactory = (agent: AgentConfig) => CallServices;

/**
 * The production factory: local (offline) STT/TTS and the OpenAI-compatible LLM, with the
 * server's `OPENAI_API_KEY` / `OPENAI_BASE_URL` as defaults for agents without their own. API
 * keys go only where they are bound (see `llm-access.ts`), and LLM connections obey the
 * egress policy (`EGRESS_ALLOW`; see `security/egress.ts`).
 */
export function defaultServiceFactory(
  config: ServerConfig,
  engines: EngineStatus,
  credentials: CredentialStore,
): ServiceFactory {
  const egressFetch = createEgressFetch(serverEgressPolicy(config));
  return (agent) => {
    const problems: string[] = [];
    if (!engines.stt.ok)
      problems.push(`Speech recognition is not available: ${engines.stt.reason ?? 'unknown'}.`);
    const apiKey = llmApiKey(agent.llm, config, credentials);
    let llm: LLMService;
    if (!apiKey && !agent.llm.baseUrl && !config.openaiBaseUrl) {
      const notice =
        'This agent has no language model configured. Set OPENAI_API_KEY on the server, or an API key on the agent.';
      problems.push(notice);
      llm = new NoticeLLMService(notice);
    } else {
      llm = new OpenAILLMService({
        apiKey: apiKey ?? 'not-needed',
        baseUrl: llmBaseUrl(agent.llm, config),
        env: {}, // the key and base URL chosen here, never the process environment's
        fetch: egressFetch,
        model: agent.llm.model,
        ...(agent.llm.temperature !== undefined ? { temperature: agent.llm.temperature } : {}),
      });
    }
    const stt = engines.stt.ok ? new LocalSTTService() : new DisabledSTTService();
    return { stt, llm, tts: new LocalTTSService(), problems };
  };
}
