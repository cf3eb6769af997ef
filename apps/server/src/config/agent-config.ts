/**
 * The configuration of a voice agent, as stored in `agents.config` (JSONB) and
 * accepted from the API: validated here, at the boundary, with zod.
 */

import { VENDORS, type VendorKind } from '@parley/services';
import { z } from 'zod';
import { mcpServerSchema, toolIdSchema } from '../calls/tools/tool-schema.ts';
import { transferConfigSchema } from '../calls/tools/transfer-config.ts';
import { preCallConfigSchema } from '../context/pre-call-config.ts';
import { contextVariablesSchema } from '../context/variables.ts';
import { credentialNameSchema } from '../credentials/kinds.ts';
import { postCallConfigSchema } from '../post-call/config.ts';

/** The options every vendor service takes, beside its own. */
const accessFields = {
  /**
   * Name of the credential holding this service's API key (of the vendor's kind, e.g.
   * `deepgram`), bound to the origin of its base URL. Without one, the server's key
   * (`DEEPGRAM_API_KEY`, …) is used, but only towards the vendor's API or the server's own
   * base URL for it (`DEEPGRAM_BASE_URL`, …).
   */
  credential: credentialNameSchema.optional(),
  /**
   * API base URL (a proxy, a self-hosted compatible server); default: the server's
   * `<VENDOR>_BASE_URL`, else the vendor's. Non-public addresses are refused unless
   * `EGRESS_ALLOW` allows them.
   */
  baseUrl: z.url({ protocol: /^https?$/ }).optional(),
};

/**
 * Longest wait for a response's first piece (and between pieces), s, retries included; then
 * the request is aborted and the caller hears an apology. Default 5.
 */
const responseTimeoutSecs = z.number().positive().max(120).optional();

/**
 * One service of an agent, as validated: `provider` names a vendor of `@parley/services`'
 * registry (or `fake`, whose services the server's test factory supplies); the other fields
 * are the vendor's options (see `packages/services/README.md`).
 */
export interface ServiceConfig {
  provider: string;
  credential?: string | undefined;
  baseUrl?: string | undefined;
  responseTimeoutSecs?: number | undefined;
  [option: string]: unknown;
}

/** The schema of one service of `kind`: a union over the registry's vendors, by `provider`. */
function serviceSchema(kind: VendorKind): z.ZodType<ServiceConfig, ServiceConfig> {
  const timeout = kind === 'stt' ? {} : { responseTimeoutSecs };
  const members = VENDORS[kind].map((vendor) =>
    z.strictObject({
      provider: z.literal(vendor.provider),
      ...(vendor.key || vendor.defaultBaseUrl ? accessFields : {}),
      ...timeout,
      ...vendor.options,
    }),
  );
  // Services scripted by tests (the server's test factory builds them).
  if (kind !== 'llm') {
    members.push(
      z.strictObject({
        provider: z.literal('fake'),
        ...timeout,
        voice: z.string().min(1).optional(),
        /** What the fake does (e.g. scripted `transcripts`), passed through untouched. */
        options: z.record(z.string(), z.unknown()).optional(),
      }),
    );
  }
  const providers = [...VENDORS[kind].map((v) => v.provider), ...(kind === 'llm' ? [] : ['fake'])];
  return z.discriminatedUnion('provider', members as [(typeof members)[number], ...typeof members], {
    error: (issue) =>
      issue.code === 'invalid_union'
        ? `unknown provider; one of ${providers.map((p) => JSON.stringify(p)).join(', ')}`
        : undefined,
  }) as unknown as z.ZodType<ServiceConfig, ServiceConfig>;
}

const sttConfigSchema = serviceSchema('stt');
const llmConfigSchema = serviceSchema('llm');
const ttsConfigSchema = serviceSchema('tts');

const failoverConfigSchema = z.strictObject({
  /** Speech recognisers to switch to, in order, when the one before fails mid-call. */
  stt: z.array(sttConfigSchema).min(1).max(3).optional(),
  /** Language models to switch to, in order. */
  llm: z.array(llmConfigSchema).min(1).max(3).optional(),
  /** Synthesisers to switch to, in order. */
  tts: z.array(ttsConfigSchema).min(1).max(3).optional(),
});

const apologiesSchema = z.strictObject({
  /** Said when speech recognition fails. Default "Sorry, I didn't catch that. Could you say it again?". */
  stt: z.string().trim().min(1).optional(),
  /** Said when the language model fails or times out. Default "Sorry, I'm having trouble answering right now. Could you say that again?". */
  llm: z.string().trim().min(1).optional(),
  /** Said when speech synthesis fails or times out (through the same synthesiser). Default as `llm`. */
  tts: z.string().trim().min(1).optional(),
});

const vadConfigSchema = z.strictObject({
  /** Minimum speech probability for a frame to count as speech, 0–1. */
  confidence: z.number().min(0).max(1).optional(),
  /** Seconds of speech before the user is considered to have started speaking. */
  startSecs: z.number().min(0).optional(),
  /** Seconds of silence before the user is considered to have stopped speaking. */
  stopSecs: z.number().min(0).optional(),
  /** Minimum normalised volume for a frame to count as speech, 0–1. */
  minVolume: z.number().min(0).max(1).optional(),
});

const turnsConfigSchema = z
  .strictObject({
    /** Shortest wait after the caller's speech ends before their turn ends, s. Default 0.5. */
    minEndpointingDelaySecs: z.number().min(0).optional(),
    /**
     * Longest wait, s (the wait adapts to the caller's pauses in between); also how long a turn
     * waits for its transcript. Default 3.
     */
    maxEndpointingDelaySecs: z.number().min(0).optional(),
    /** Whether the caller can interrupt the bot. Default true. */
    interruptions: z.boolean().optional(),
    /** Speech without words that pauses the bot (a possible interruption), s. Default 0.5. */
    minInterruptionSecs: z.number().min(0).optional(),
    /** Words (not backchannels) needed to interrupt the bot; 0: any word. Default 0. */
    minInterruptionWords: z.number().int().min(0).optional(),
    /** Resume the paused bot this long after the caller went silent without words, s; 0: never pause. Default 2. */
    falseInterruptionTimeoutSecs: z.number().min(0).optional(),
    /** Phrases that neither interrupt the bot nor get a reply ("mhm", "okay"…). Default: a built-in English list. */
    backchannels: z.array(z.string().trim().min(1)).optional(),
    /**
     * The caller cannot interrupt the greeting. Default true. What they say over it is kept and
     * answered when the greeting ends, as a turn starting then (backchannels and noise dropped).
     */
    muteDuringGreeting: z.boolean().optional(),
    /**
     * The caller cannot interrupt or start a turn while a function call runs. Default true. What
     * they say meanwhile is kept and answered once the call's result is in, as a turn starting then.
     */
    muteDuringFunctionCalls: z.boolean().optional(),
  })
  .refine((t) => (t.maxEndpointingDelaySecs ?? 3) >= (t.minEndpointingDelaySecs ?? 0.5), {
    message: 'maxEndpointingDelaySecs must be ≥ minEndpointingDelaySecs (defaults 3 and 0.5)',
    path: ['maxEndpointingDelaySecs'],
  });

const userIdleConfigSchema = z.strictObject({
  /** Prompt, then hang up on, a silent caller. Default true. */
  enabled: z.boolean().optional(),
  /** Silence on both sides before each prompt (and before hanging up), s. Default 15. */
  timeoutSecs: z.number().positive().optional(),
  /** Prompts before hanging up. Default 2. */
  maxPrompts: z.number().int().min(0).optional(),
  /** What the agent says to prompt the caller; may contain `{{var}}` placeholders. Default "Are you still there?". */
  prompt: z.string().trim().min(1).optional(),
  /** Said before hanging up; may contain `{{var}}` placeholders. Default: nothing. */
  goodbye: z.string().trim().min(1).optional(),
});

/** The zod schema of {@link AgentConfig}; unknown keys are rejected so that typos surface. */
export const agentConfigSchema = z
  .strictObject({
    /** System prompt; may contain `{{var}}` placeholders filled from the call's context. */
    prompt: z.string().trim().min(1),
    /** First thing the agent says when the call connects; none means it waits for the caller. */
    greeting: z.string().min(1).optional(),
    /** BCP 47 language tag of the conversation. */
    language: z.string().min(2).default('en-US'),
    /** Speech recognition: `{ provider, …its options }` (default `local`). */
    stt: sttConfigSchema,
    /** Speech synthesis: `{ provider, voice?, …its options }` (default `local`). */
    tts: ttsConfigSchema,
    /** The language model: `{ provider, model?, …its options }`. */
    llm: llmConfigSchema,
    /** Services to switch to when one fails mid-call (and back once it is healthy again). */
    failover: failoverConfigSchema.optional(),
    vad: vadConfigSchema.optional(),
    /** Turn-taking: endpointing, interruptions, backchannels, mute rules. */
    turns: turnsConfigSchema.optional(),
    /** What to do when the caller goes silent (prompts, then hang-up). */
    userIdle: userIdleConfigSchema.optional(),
    /** Hang up after this many seconds without speech from either side, without prompting (see `userIdle`). */
    idleTimeoutSecs: z.number().positive().optional(),
    /** Hang up after this many seconds in total (end reason `max_duration`). */
    maxDurationSecs: z.number().positive().optional(),
    /** What the caller hears when a service fails mid-call (the failure is also stored as an `error` event). */
    apologies: apologiesSchema.optional(),
    /**
     * Tools the LLM may call: ids of stored webhook tools (`/api/tools`) and names of built-in
     * ones (`end_call`, `transfer_call`); see `calls/tools/`.
     */
    tools: z.array(toolIdSchema).max(32).optional(),
    /** Where the built-in `transfer_call` may send the call (see `calls/tools/transfer-config.ts`). */
    transfer: transferConfigSchema.optional(),
    /** MCP servers (Streamable HTTP) whose tools the LLM may call; see `calls/tools/mcp/`. */
    mcpServers: z.array(mcpServerSchema).max(8).optional(),
    /** The `{{var}}` variables of the templates: type, required, default (see `context/variables.ts`). */
    variables: contextVariablesSchema.optional(),
    /** A request made before the greeting whose answer fills variables (see `context/pre-call-config.ts`). */
    preCall: preCallConfigSchema.optional(),
    /** Analysis and webhook after the call (see `post-call/config.ts`). */
    postCall: postCallConfigSchema.optional(),
  })
  .superRefine((config, ctx) => {
    const i = config.tools?.indexOf('transfer_call') ?? -1;
    if (i >= 0 && !config.transfer)
      ctx.addIssue({
        code: 'custom',
        path: ['tools', i],
        message: 'transfer_call needs transfer.destinations (the numbers it may dial)',
      });
  });

/** A validated agent configuration, with defaults applied. */
export type AgentConfig = z.output<typeof agentConfigSchema>;

/** What callers may write: {@link AgentConfig} before defaults (`language`, `llm.model` optional). */
export type AgentConfigInput = z.input<typeof agentConfigSchema>;

/** An agent as defined by a user: a slug id, a display name and its configuration. */
export interface AgentDefinition {
  /** Slug: lower-case letters, digits and `-`, e.g. `demo`. */
  id: string;
  name: string;
  config: AgentConfig;
}

/**
 * An agent configuration failed validation.
 * `issues` holds one readable line per problem, e.g. `llm.temperature: Too big: expected number to be <=2`.
 */
export class AgentConfigError extends Error {
  override readonly name = 'AgentConfigError';

  constructor(
    readonly issues: readonly string[],
    /** What was being validated, for the message (e.g. `agent "demo"`). */
    subject = 'agent configuration',
  ) {
    super(`Invalid ${subject}: ${issues.join('; ')}`);
  }
}

/** Formats zod issues as `path: message` lines (`(root)` for the top level). */
export function formatIssues(issues: readonly z.core.$ZodIssue[]): string[] {
  return issues.map(
    (issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(root)'}: ${issue.message}`,
  );
}

/**
 * Validates `input` (parsed JSON) as an agent configuration and applies defaults.
 * @throws {@link AgentConfigError} listing every problem found.
 */
export function parseAgentConfig(input: unknown): AgentConfig {
  const result = agentConfigSchema.safeParse(input);
  if (!result.success) throw new AgentConfigError(formatIssues(result.error.issues));
  return result.data;
}

/** The agent seeded into a fresh database: works offline except for the LLM. */
export const DEMO_AGENT: AgentDefinition = {
  id: 'demo',
  name: 'Demo agent',
  config: parseAgentConfig({
    prompt:
      'You are the Parley demo agent, a friendly assistant answering a phone call. ' +
      'Your words are spoken aloud, so reply in one or two short sentences of plain speech: ' +
      'no lists, markdown, emoji or URLs. If you did not catch something, ask the caller to repeat it.',
    greeting: 'Hello! This is the Parley demo agent. How can I help you?',
    language: 'en-US',
    stt: { provider: 'local' },
    tts: { provider: 'local' },
    llm: { provider: 'openai', model: 'gpt-4o-mini' },
  }),
};
