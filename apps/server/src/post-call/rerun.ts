/**
 * Post-call work of a call that ended in an earlier run of the server (it stopped or crashed
 * before the work was done): the call, its transcript and usage are read back from the database,
 * the agent's LLM built again, and the work run as {@link runPostCall} does. Its events are
 * marked `rerun: true`.
 */
import type { FastifyBaseLogger } from 'fastify';
import type { ServiceFactory } from '../calls/services.ts';
import type { AgentRepository } from '../db/agents.ts';
import type { CallRepository } from '../db/calls.ts';
import type { WriteJournal } from '../durability/write-journal.ts';
import { type PostCallDeps, runPostCall } from './run.ts';

/** What {@link rerunPostCall} needs from the server. */
export interface PostCallRerunDeps {
  readonly calls: Pick<CallRepository, 'get'>;
  readonly agents: Pick<AgentRepository, 'get'>;
  /** Builds the agent's services; only its LLM is used (for the analysis). */
  readonly services: ServiceFactory;
  /** Where the events of the work are stored. */
  readonly journal: Pick<WriteJournal, 'write'>;
  readonly postCall: PostCallDeps;
  readonly logger: FastifyBaseLogger;
}

/**
 * Runs the post-call work the agent of call `callId` has configured now (none when the call or
 * its agent is gone, or the agent has no `postCall` any more).
 * @throws when the call or agent cannot be read (the database is down).
 */
export async function rerunPostCall(callId: string, deps: PostCallRerunDeps): Promise<void> {
  const log = deps.logger.child({ callId });
  const call = await deps.calls.get(callId);
  const agent = call?.agentId ? await deps.agents.get(call.agentId) : undefined;
  const config = agent?.config.postCall;
  if (!call || !agent || !config || !(config.analysis || config.webhook)) {
    log.info('post-call work of an earlier run is no longer wanted');
    return;
  }
  const llm = (await deps.services(agent.config)).llm;
  const writes: Array<Promise<void>> = [];
  let n = 0;
  const record = (type: string, data: Record<string, unknown>) => {
    const key = `${callId}:post-call-rerun:${n++}`;
    writes.push(
      deps.journal.write({
        kind: 'events',
        callId,
        events: [{ key, type, at: new Date().toISOString(), data: { ...data, rerun: true } }],
      }),
    );
  };
  const startedAt = call.startedAt ?? call.createdAt;
  const endedAt = call.endedAt ?? new Date();
  log.info('running the post-call work of an earlier run');
  await runPostCall(
    config,
    {
      call,
      status: call.status,
      startedAt: startedAt.toISOString(),
      endedAt: endedAt.toISOString(),
      durationMs: call.durationMs ?? endedAt.getTime() - startedAt.getTime(),
      endReason: call.endReason ?? 'unknown',
      transcript: call.transcript,
      usage: call.usage,
    },
    llm,
    deps.postCall,
    record,
    log,
  );
  await Promise.all(writes);
}
