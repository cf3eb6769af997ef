/**
 * Post-call analysis: the agent's LLM reads the transcript and answers one JSON object (a
 * summary, the fields the agent asks for, a disposition from its list), validated with zod.
 */
import type { LLMMessage, LLMService, TranscriptEntry } from '@parley/pipeline';
import { z } from 'zod';
import { formatIssues } from '../config/agent-config.ts';
import type { PostCallConfig } from './config.ts';

/** What is stored in `calls.analysis`: the answer, or why there is none. */
export type CallAnalysis =
  | {
      readonly status: 'completed';
      /** A few sentences on the call, when the agent asks for one. */
      readonly summary?: string;
      /** Each configured field's value; `null` when the conversation did not give it. */
      readonly fields: Record<string, string | number | boolean | null>;
      /** One of the agent's dispositions, when it has a list. */
      readonly disposition?: string;
      /** ISO 8601. */
      readonly analyzedAt: string;
    }
  | {
      readonly status: 'failed';
      /** Why: the LLM failed, timed out, or its answer was not the JSON asked for. */
      readonly error: string;
      readonly analyzedAt: string;
    };

type AnalysisConfig = NonNullable<PostCallConfig['analysis']>;

/** Longest wait for the analysis, ms. */
const ANALYSIS_TIMEOUT_MS = 60_000;

/** The zod schema of the answer `config` asks for. */
function answerSchema(config: AnalysisConfig) {
  const fieldTypes = { string: z.string(), number: z.number(), boolean: z.boolean() } as const;
  const fields = Object.fromEntries(config.fields.map((f) => [f.name, fieldTypes[f.type].nullable()]));
  return z.object({
    summary: config.summary ? z.string().min(1) : z.string().optional(),
    fields: config.fields.length > 0 ? z.object(fields) : z.object({}).optional(),
    disposition:
      config.disposition.length > 0
        ? z.enum(config.disposition as [string, ...string[]])
        : z.string().optional(),
  });
}

/** The instructions: the JSON shape wanted, in words and as an example. */
function instructions(config: AnalysisConfig): string {
  const shape: Record<string, unknown> = {};
  if (config.summary) shape.summary = 'two or three sentences on what happened';
  if (config.fields.length > 0) {
    shape.fields = Object.fromEntries(
      config.fields.map((f) => [f.name, `${f.type} or null${f.description ? `: ${f.description}` : ''}`]),
    );
  }
  if (config.disposition.length > 0) shape.disposition = `one of ${config.disposition.join(', ')}`;
  return (
    'You analyse a finished phone call between a caller and a voice agent. ' +
    'Answer with one JSON object and nothing else (no prose, no code fence), of this shape: ' +
    JSON.stringify(shape)
  );
}

/** The transcript as lines `caller: …` / `agent: …`. */
function transcriptText(transcript: readonly TranscriptEntry[]): string {
  if (transcript.length === 0) return '(nobody spoke)';
  return transcript.map((t) => `${t.role === 'user' ? 'caller' : 'agent'}: ${t.text}`).join('\n');
}

/**
 * Asks `llm` (started or not; it runs one completion with {@link LLMService.stream}) for the
 * analysis of `transcript`. Never throws: a failure is a `failed` analysis.
 */
export async function analyseCall(
  llm: LLMService,
  config: AnalysisConfig,
  transcript: readonly TranscriptEntry[],
  signal: AbortSignal = AbortSignal.timeout(ANALYSIS_TIMEOUT_MS),
): Promise<CallAnalysis> {
  const analyzedAt = () => new Date().toISOString();
  const messages: LLMMessage[] = [
    { role: 'system', content: instructions(config) },
    { role: 'user', content: transcriptText(transcript) },
  ];
  let text = '';
  try {
    for await (const chunk of llm.stream(messages, [], signal)) if (chunk.type === 'text') text += chunk.text;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return { status: 'failed', error: `the LLM failed: ${reason}`, analyzedAt: analyzedAt() };
  }
  let json: unknown;
  try {
    // Some models wrap JSON in a fence despite being asked not to.
    json = JSON.parse(text.replace(/^\s*```(?:json)?\s*|\s*```\s*$/g, ''));
  } catch {
    return {
      status: 'failed',
      error: `the LLM did not answer JSON: ${text.slice(0, 200)}`,
      analyzedAt: analyzedAt(),
    };
  }
  const parsed = answerSchema(config).safeParse(json);
  if (!parsed.success) {
    return {
      status: 'failed',
      error: `the LLM's answer does not fit: ${formatIssues(parsed.error.issues).join('; ')}`,
      analyzedAt: analyzedAt(),
    };
  }
  const { summary, fields, disposition } = parsed.data;
  return {
    status: 'completed',
    ...(config.summary && summary !== undefined ? { summary } : {}),
    fields: Object.fromEntries(config.fields.map((f) => [f.name, fields?.[f.name] ?? null])) as Record<
      string,
      string | number | boolean | null
    >,
    ...(config.disposition.length > 0 && disposition !== undefined ? { disposition } : {}),
    analyzedAt: analyzedAt(),
  };
}
