import type { LLMService, STTService, TTSService } from '@parley/pipeline';
import { LocalSTTService, LocalTTSService, OpenAILLMService } from '@parley/services';
import type { AgentConfig } from '../config/agent-config.ts';
import type { ServerConfig } from '../config/server-config.ts';
import type { CredentialStore } from '../credentials/store.ts';
import { createEgressFetch } from '../security/egress.ts';
import { serverEgressPolicy } from '../security/server-egress.ts';
import { DisabledSTTService } from './disabled-stt.ts';
import type { EngineChecker } from './engines.ts';
import { llmApiKey, llmBaseUrl } from './llm-access.ts';
import { NoticeLLMService } from './notice-llm.ts';

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

/**
 * The production factory: local (offline) STT/TTS and the OpenAI-compatible LLM, with the
 * server's `OPENAI_API_KEY` / `OPENAI_BASE_URL` as defaults for agents without their own. API
 * keys go only where they are bound (see `llm-access.ts`), and LLM connections obey the
 * egress policy (`EGRESS_ALLOW`; see `security/egress.ts`). The local engines are checked
 * again for every call (`engines`), so an engine installed while the server runs is used from
 * the next call on.
 */
export function defaultServiceFactory(
  config: ServerConfig,
  engines: EngineChecker,
  credentials: CredentialStore,
): ServiceFactory {
  const egressFetch = createEgressFetch(serverEgressPolicy(config));
  return async (agent) => {
    const status = await engines();
    const problems: SetupProblem[] = [];
    if (!status.stt.ok)
      problems.push({ spoken: NO_STT_SPOKEN, detail: `speech recognition: ${status.stt.reason}` });
    const apiKey = llmApiKey(agent.llm, config, credentials);
    let llm: LLMService;
    if (!apiKey && !agent.llm.baseUrl && !config.openaiBaseUrl) {
      problems.push(NO_LLM);
      llm = new NoticeLLMService(NO_LLM.spoken);
    } else {
      llm = new OpenAILLMService({
        apiKey: apiKey ?? 'not-needed',
        baseUrl: llmBaseUrl(agent.llm, config),
        env: {}, // the key and base URL chosen here, never the process environment's
        fetch: egressFetch,
        model: agent.llm.model,
        ...(agent.llm.temperature !== undefined ? { temperature: agent.llm.temperature } : {}),
        ...responseTimeout(agent.llm.responseTimeoutSecs),
      });
    }
    if (!status.tts.ok) problems.push({ detail: `speech synthesis: ${status.tts.reason}` }); // unsayable
    const stt = status.stt.ok
      ? new LocalSTTService(status.stt.command ? { command: status.stt.command } : {})
      : new DisabledSTTService();
    const tts = new LocalTTSService(responseTimeout(agent.tts.responseTimeoutSecs));
    return { stt, llm, tts, problems };
  };
}

/** A service's `responseTimeoutMs` option from an agent's seconds (none: the service's default). */
export function responseTimeout(secs: number | undefined): { responseTimeoutMs?: number } {
  return secs === undefined ? {} : { responseTimeoutMs: secs * 1000 };
}
