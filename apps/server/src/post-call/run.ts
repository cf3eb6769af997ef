/**
 * What happens after a call is stored: its analysis (stored in `calls.analysis`) and the
 * end-of-call webhook, each outcome stored as a call event. Runs after the call's own end is
 * written and never fails it: errors are logged and stored as events.
 */
import type { LLMService, TranscriptEntry } from '@parley/pipeline';
import type { FastifyBaseLogger } from 'fastify';
import type { CredentialStore } from '../credentials/store.ts';
import type { Call } from '../db/call-types.ts';
import { analyseCall, type CallAnalysis } from './analysis.ts';
import type { PostCallConfig } from './config.ts';
import { deliverWebhook } from './webhook.ts';

/** What post-call work needs from the server. */
export interface PostCallDeps {
  /** The egress-checked fetch (`createEgressFetch`) for the webhook. */
  readonly fetch: typeof fetch;
  /** Where the webhook's signing secret comes from. */
  readonly credentials: CredentialStore;
  /** Stores the analysis with the call. */
  readonly storeAnalysis: (callId: string, analysis: CallAnalysis) => Promise<unknown>;
}

/** A call as it ended: what the webhook carries. */
export interface EndedCall {
  readonly call: Call;
  readonly status: string;
  readonly endedAt: string;
  readonly startedAt: string;
  readonly durationMs: number;
  readonly endReason: string;
  readonly transcript: readonly TranscriptEntry[];
  readonly usage: unknown;
}

/**
 * Runs the analysis (with `llm`, the call's language model) and then the webhook, as
 * `config` asks. Stores events `post_call_analysis` (`{ status, error? }`) and
 * `webhook_delivered` / `webhook_failed` (`{ attempts, status?, error? }`) through `record`.
 * Never throws.
 */
export async function runPostCall(
  config: PostCallConfig,
  ended: EndedCall,
  llm: LLMService,
  deps: PostCallDeps,
  record: (type: string, data: Record<string, unknown>) => void,
  log: FastifyBaseLogger,
): Promise<void> {
  const { call } = ended;
  let analysis: CallAnalysis | undefined;
  if (config.analysis) {
    analysis = await analyseCall(llm, config.analysis, ended.transcript);
    if (analysis.status === 'failed') log.warn({ error: analysis.error }, 'post-call analysis failed');
    try {
      await deps.storeAnalysis(call.id, analysis);
    } catch (err) {
      log.error({ err }, 'could not store the post-call analysis');
    }
    record('post_call_analysis', {
      status: analysis.status,
      ...(analysis.status === 'failed' ? { error: analysis.error } : {}),
    });
  }
  const webhook = config.webhook;
  if (!webhook) return;
  let secret: string | undefined;
  try {
    const value = await deps.credentials.reveal(
      webhook.secretCredential,
      'generic',
      webhook.url,
      'postCall.webhook.secretCredential',
    );
    secret = value.secret;
    if (secret === undefined)
      throw new Error(`credential "${webhook.secretCredential}" has no field "secret"`);
  } catch (err) {
    const error = err instanceof Error ? err.message : String(err);
    log.warn({ err }, 'end-of-call webhook not sent: no signing secret');
    record('webhook_failed', { attempts: 0, error });
    return;
  }
  const payload = {
    call: {
      id: call.id,
      agentId: call.agentId,
      provider: call.provider,
      direction: call.direction,
      from: call.from,
      to: call.to,
      status: ended.status,
      startedAt: ended.startedAt,
      endedAt: ended.endedAt,
      durationMs: ended.durationMs,
      endReason: ended.endReason,
      context: call.context,
    },
    transcript: ended.transcript,
    analysis: analysis ?? null,
    usage: ended.usage,
  };
  const outcome = await deliverWebhook(webhook.url, secret, payload, { fetch: deps.fetch });
  if (!outcome.delivered) log.warn({ ...outcome }, 'end-of-call webhook failed');
  record(outcome.delivered ? 'webhook_delivered' : 'webhook_failed', { ...outcome });
}
