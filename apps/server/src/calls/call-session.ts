import { type FlowManager, flowDefinitionSchema } from '@parley/flows';
import {
  AssistantContextAggregator,
  type AudioSink,
  CallRecorder,
  DtmfAggregator,
  estimateCost,
  FirstSpeechMuteStrategy,
  type FrameProcessor,
  FunctionCallMuteStrategy,
  frame,
  InputTransport,
  LLMContext,
  MaxDurationProcessor,
  type MuteStrategy,
  OutputTransport,
  PipelineTask,
  type PriceTable,
  SentenceAggregator,
  ServiceErrorResponder,
  type TaskObserver,
  type TaskResult,
  TracingObserver,
  TranscriptCollector,
  type TranscriptEntry,
  TurnTimingObserver,
  UsageCollector,
  UserContextAggregator,
  UserIdleProcessor,
  UserTurnProcessor,
  VADProcessor,
} from '@parley/pipeline';
import type { ProviderEvent } from '@parley/telephony';
import type { FastifyBaseLogger } from 'fastify';
import type { AgentConfig } from '../config/agent-config.ts';
import { type PreCallDeps, runPreCall } from '../context/pre-call.ts';
import { templateVariables } from '../context/variables.ts';
import type { Agent } from '../db/agents.ts';
import type { Call } from '../db/call-types.ts';
import type { CallRepository } from '../db/calls.ts';
import type { FlowVersion, FlowVersionRepository } from '../db/flow-versions.ts';
import type { PostCallJournal } from '../durability/post-call-journal.ts';
import type { WriteJournal } from '../durability/write-journal.ts';
import type { LiveEventBus } from '../live/live-bus.ts';
import { LiveTranscriptObserver } from '../live/live-transcript-observer.ts';
import { type PostCallDeps, runPostCall } from '../post-call/run.ts';
import type { RecordingStore } from '../recordings/store.ts';
import type { SessionStore } from '../sessions/session-store.ts';
import type { CallTransferrer } from '../telephony/transfer.ts';
import { type CallFlowOptions, startCallFlow } from './call-flow.ts';
import { CallEventRecorder } from './event-recorder.ts';
import type { CallServices, ServiceFactory } from './services.ts';
import { SpeechWatcher } from './speech-watcher.ts';
import { renderTemplate } from './template.ts';
import type { CallControls, TransferOutcome } from './tools/builtin-tools.ts';
import type { CallTool, CallToolSet, CallToolsLoader } from './tools/call-tools.ts';
import { parseMcpToolId } from './tools/mcp/node-tool-ids.ts';
import { ToolCallLog } from './tools/tool-call-log.ts';
import type { TransferDestination } from './tools/transfer-config.ts';

/** What every call session needs from the server. */
export interface CallSessionDeps {
  readonly calls: CallRepository;
  /** Durable writes of the call's events and end (journaled while the database is down). */
  readonly journal: WriteJournal;
  readonly sessions: SessionStore;
  readonly recordings: RecordingStore;
  readonly logger: FastifyBaseLogger;
  /** Identifies this server process in the session store. */
  readonly serverId: string;
  /** Prices for each call's estimated cost (`PRICES_FILE`); none: usage is stored without a cost. */
  readonly prices?: PriceTable | undefined;
  /** Agents' flows: a call runs the version published when it starts (none without this). */
  readonly flows?: FlowVersionRepository;
  /** Builds the tools of the agent (`config.tools`, `config.mcpServers`); none when absent. */
  readonly tools?: CallToolsLoader;
  /** What agents' pre-call requests are made with (none: `preCall` is skipped). */
  readonly preCall?: PreCallDeps;
  /** What agents' post-call analysis and webhook use (none: `postCall` is skipped). */
  readonly postCall?: PostCallDeps;
  /** Where the call's events are published as they are recorded (the live monitor); none: not published. */
  readonly live?: LiveEventBus;
  /** Where post-call work is noted and tracked, so a stop or crash does not lose it (none: untracked). */
  readonly postCallJournal?: PostCallJournal;
  /** Transfers a call through its provider (the built-in `transfer_call`); none: transfers fail. */
  readonly transferCall?: CallTransferrer;
}

/** Who ended a call from the dashboard or the API (`POST /api/calls/:id/end`). */
export interface CallEnder {
  readonly type: 'user' | 'api_key';
  readonly id: string;
  readonly name: string;
}

/** One call's media stream, as the provider described it in its `start` message. */
export interface CallStream {
  readonly call: Call;
  readonly agent: Agent;
  readonly streamId: string;
  /** Wire sample rate, Hz (8000 on the phone). */
  readonly sampleRateHz: number;
  /** Chunk length the provider wants, ms. */
  readonly outputChunkMs: number;
  /** Sends audio, marks and clears to the provider. */
  readonly sink: AudioSink;
  /**
   * Ends the media stream once the call is over and stored. `byAgent`: the agent ended the
   * call (end action, idle caller, maximum duration, an error, server shutdown), so the
   * provider is told to hang up too; otherwise the caller or the provider ended it. Resolves
   * once the stream is closed.
   */
  readonly hangUp: (byAgent: boolean) => Promise<void>;
  /** More observers of the pipeline (e.g. the browser test call's live transcript). */
  readonly observers?: readonly TaskObserver[];
}

const SESSION_TTL_SECS = 4 * 3600;
/**
 * End reasons after which the provider must not be told to hang up: the call is already over
 * there, or (`transferred`) it goes on without us.
 */
const NO_PROVIDER_HANGUP = new Set(['caller_hung_up', 'connection_lost', 'transferred']);
/** After a transfer was accepted, how long the provider may take to end the stream before we close it, ms. */
const TRANSFER_CLOSE_TIMEOUT_MS = 10_000;
/** Heartbeats let the task raise a stall alarm (logged and stored as an `error` event) when a processor hangs. */
const HEARTBEAT_MS = 1000;
/** Longer than a slow LLM reply (heartbeats queue behind it), shorter than a caller's patience. */
const STALL_ALARM_MS = 15_000;
/** Caller audio kept while the call is stored as started (before the pipeline runs), ms. */
const MAX_EARLY_AUDIO_MS = 10_000;

/**
 * Runs one call: builds the agent's pipeline
 * (`input → service-error apologies → VAD → STT → DTMF → turns → idle → [max duration] → user aggregator → LLM → sentences → TTS →
 * output → assistant aggregator → recorder`),
 * feeds it the provider's events, stores events as they happen, and on the end stores the
 * call's status, duration, transcript and recording. When the agent has a published flow, the
 * call pins that version and runs it on its LLM (see `call-flow.ts`).
 */
export class CallSession {
  readonly callId: string;
  private readonly input = new InputTransport();
  private readonly task: PipelineTask;
  private readonly recorder: CallRecorder;
  private readonly transcript: TranscriptCollector;
  private readonly eventRecorder: CallEventRecorder;
  private readonly usage = new UsageCollector();
  private readonly log: FastifyBaseLogger;
  private readonly startedAt = new Date();
  private endReason: string | undefined;
  private failed = false;
  private runPromise: Promise<void> | undefined;
  private greeting: string | undefined;
  /** The call's template variables (context, schema defaults, then pre-call results). */
  private readonly vars: Record<string, string>;
  /** Set-up problems said before the greeting. */
  private readonly notices: string[];
  /** Caller audio that came before the pipeline ran (undefined once it runs), and its samples. */
  private early: Array<{ audio: Int16Array; sampleRateHz: number }> | undefined = [];
  private earlySamples = 0;
  /** What the agent's stored flow runs on, if it has one published (see `call-flow.ts`). */
  private flowOptions: Omit<CallFlowOptions, 'version'>;
  private readonly context: LLMContext;
  /** The call's language model, kept for the post-call analysis. */
  private readonly llm: CallServices['llm'];
  private flow: Promise<FlowManager | undefined> | undefined;
  private readonly toolLog = new ToolCallLog();
  private toolSet: CallToolSet | undefined;
  /** The tool sets of the flow's nodes (closed with the call). */
  private readonly nodeToolSets: CallToolSet[] = [];
  /** When the agent's speech reached the caller (a transfer waits for its line). */
  private readonly speech = new SpeechWatcher();
  /** A transfer is under way (one at a time, even when the LLM asks for two at once). */
  private transferring = false;
  /** A transfer was accepted: the caller is no longer the agent's to listen to. */
  private transferred = false;
  private transferCloseTimer: NodeJS.Timeout | undefined;

  /** @param services The call's STT, LLM and TTS, built for the agent by the server's {@link ServiceFactory}. */
  constructor(
    private readonly deps: CallSessionDeps,
    private readonly stream: CallStream,
    services: CallServices,
  ) {
    const { call, agent } = stream;
    this.callId = call.id;
    this.log = deps.logger.child({ callId: call.id, agentId: agent.id });
    const config = agent.config;
    const vars = templateVariables(config.variables, call.context);
    this.vars = vars;
    for (const problem of services.problems) this.log.warn(`set-up problem: ${problem.detail}`);

    const agentPrompt = renderTemplate(config.prompt, vars);
    const context = new LLMContext([{ role: 'system', content: agentPrompt }]);
    this.context = context;
    this.llm = services.llm;
    // Set-up problems are said once, before the greeting, in a sentence each.
    this.notices = services.problems.flatMap((p) => (p.spoken ? [p.spoken] : []));
    this.greeting = this.greetingText();

    const { live } = deps;
    this.eventRecorder = new CallEventRecorder(
      call.id,
      (entry) => deps.journal.write(entry),
      undefined,
      this.toolLog,
      live && ((event) => live.publish(call.id, event)),
    );
    live?.callStarted({
      id: call.id,
      agentId: agent.id,
      agentName: agent.name,
      provider: call.provider,
      direction: call.direction,
      from: call.from,
      to: call.to,
      startedAt: this.startedAt.toISOString(),
    });
    this.flowOptions = {
      llm: services.llm,
      context,
      agentPrompt,
      vars,
      record: (type, data) => this.eventRecorder.record(type, data),
    };
    this.transcript = new TranscriptCollector((entry) => this.onTranscriptEntry(entry));
    this.recorder = new CallRecorder(deps.recordings.pathFor(call.id, this.startedAt));

    this.task = new PipelineTask(
      [
        this.input,
        // First after the input: every service's errors pass here on their way to the task.
        new ServiceErrorResponder({ apologies: config.apologies ?? {} }),
        new VADProcessor({ params: config.vad ?? {} }),
        services.stt,
        new DtmfAggregator(), // key presses become the caller's words ("DTMF: 12#")
        ...turnTaking(config, vars, this.greeting !== undefined),
        new UserContextAggregator(context),
        services.llm,
        new SentenceAggregator(),
        services.tts,
        new OutputTransport({ sink: stream.sink, chunkMs: stream.outputChunkMs }),
        new AssistantContextAggregator(context),
        this.recorder,
      ],
      {
        audio: { inputSampleRateHz: stream.sampleRateHz, outputSampleRateHz: stream.sampleRateHz },
        metadata: { callId: call.id, agentId: agent.id },
        idleTimeoutMs: (config.idleTimeoutSecs ?? 0) * 1000,
        heartbeatMs: HEARTBEAT_MS,
        stallAlarmMs: STALL_ALARM_MS,
        observers: [
          this.transcript,
          this.eventRecorder,
          this.speech,
          this.usage,
          new TurnTimingObserver({ onTurn: (timing) => this.eventRecorder.recordTurn(timing) }),
          new TracingObserver(),
          ...(stream.observers ?? []),
          ...(live
            ? [
                new LiveTranscriptObserver((data) =>
                  live.publish(call.id, { type: 'transcript_partial', at: new Date().toISOString(), data }),
                ),
              ]
            : []),
        ],
      },
    );
    this.task.errors$.subscribe((e) => {
      const service = e.service ? { service: e.service } : {};
      this.log.warn({ source: e.source, fatal: e.fatal, ...service }, `pipeline error: ${e.message}`);
      this.recordError(e.message, { source: e.source, fatal: e.fatal, ...service });
    });
  }

  /** Start the pipeline; resolves when the call is over and stored. */
  run(): Promise<void> {
    // However the call ends, it leaves the live monitor.
    this.runPromise ??= this.runCall().finally(() => this.deps.live?.callEnded(this.callId));
    return this.runPromise;
  }

  /** Handle one message from the provider (after `start`). */
  handle(event: ProviderEvent): void {
    // After a transfer the caller talks to someone else: only the end of the stream matters.
    if (this.transferred && event.type !== 'stop') return;
    switch (event.type) {
      case 'media':
        if (this.early) this.keepEarly(event.audio, event.sampleRateHz);
        else this.input.pushAudio(event.audio, event.sampleRateHz);
        break;
      case 'mark':
        this.input.pushFrame(frame('playback_mark', { name: event.name }));
        break;
      case 'dtmf':
        this.input.pushFrame(frame('dtmf_input', { digit: event.digit }));
        break;
      case 'stop':
        this.cancel('caller_hung_up');
        break;
      case 'start':
      case 'connected':
      case 'unknown':
        break;
    }
  }

  /** Record an `error` event for this call. */
  recordError(message: string, data: Record<string, unknown> = {}): void {
    this.eventRecorder.record('error', { message, ...data });
  }

  /**
   * End the call gracefully: what is queued plays out, the agent says `goodbye` (when given),
   * then the call ends (and the provider is told to hang up) with `reason`.
   */
  endWithGoodbye(goodbye: string | undefined, reason: string): void {
    this.endReason ??= reason;
    if (goodbye !== undefined) this.task.queueFrame(frame('tts_speak', { text: goodbye }));
    this.task.end(reason);
  }

  /**
   * End the call at once on a person's request (`POST /api/calls/:id/end`): stores who as an
   * `ended_by` event, then the call ends with reason `ended_by_user` and the provider is told
   * to hang up, as when the agent ends it.
   */
  endBy(who: CallEnder): void {
    this.eventRecorder.record('ended_by', { type: who.type, id: who.id, name: who.name });
    this.cancel('ended_by_user');
  }

  /** End the call at once (caller hung up, socket lost, server stopping). */
  cancel(reason: string, failed = false): void {
    this.endReason ??= reason;
    if (failed) this.failed = true;
    this.task.cancel(reason);
  }

  private async runCall(): Promise<void> {
    const { call, agent, streamId } = this.stream;
    const tools = this.setUpTools(); // while the call is stored
    try {
      await this.deps.calls.markInProgress(call.id, { streamId, startedAt: this.startedAt });
    } catch (error) {
      await tools.then(() => this.toolSet?.close()); // no MCP connection outlives a call that never ran
      throw error;
    }
    this.putSession(call.id, agent.id, streamId); // not awaited: a slow store must not delay the call
    this.eventRecorder.record('call_started', { streamId, agentId: agent.id, provider: call.provider });
    const flowVersion = await this.pinFlow();
    await this.injectPreCall();

    await tools;
    const running = this.task.run();
    // What the caller said while the call was being stored goes in first, in order.
    for (const { audio, sampleRateHz } of this.early ?? []) this.input.pushAudio(audio, sampleRateHz);
    this.early = undefined;
    if (this.greeting) this.task.queueFrame(frame('tts_speak', { text: this.greeting }));
    if (flowVersion) this.flow = this.startFlow(flowVersion);
    const result = await running;
    (await this.flow)?.dispose();
    await this.finish(result);
  }

  private async finish(result: TaskResult): Promise<void> {
    clearTimeout(this.transferCloseTimer);
    const { call } = this.stream;
    const reason = this.endReason ?? result.reason;
    const endedAt = new Date();
    await this.toolSet?.close();
    for (const set of this.nodeToolSets) await set.close();
    const recording = await this.recorder.finish().catch((err: unknown) => {
      this.log.error({ err }, 'could not finish the recording');
      return undefined;
    });
    const transcript = this.transcript.entries.map((e: TranscriptEntry) => ({ ...e }));
    const recordingPath = recording ? this.deps.recordings.toStoredPath(recording.path) : undefined;
    const durationMs = endedAt.getTime() - this.startedAt.getTime();
    const summary = this.usage.summary();
    const usage = { summary, ...(this.deps.prices ? { cost: estimateCost(summary, this.deps.prices) } : {}) };
    this.eventRecorder.record('call_ended', { reason, how: result.how, durationMs });
    await this.eventRecorder.flush();
    const postCall = this.stream.agent.config.postCall;
    const postCallDeps = postCall && (postCall.analysis || postCall.webhook) ? this.deps.postCall : undefined;
    // Noted before the end is stored: a crash from here on leaves the work due for the next start.
    if (postCallDeps) await this.deps.postCallJournal?.due(call.id);
    // Stored, or journaled while the database is unreachable (then replayed when it is back).
    await this.deps.journal.write({
      kind: 'finish',
      callId: call.id,
      end: {
        status: this.failed ? 'failed' : 'completed',
        endedAt: endedAt.toISOString(),
        durationMs,
        endReason: reason,
        transcript: transcript.map((t) => ({ ...t })),
        ...(recordingPath ? { recordingPath } : {}),
        usage,
      },
    });
    await this.deps.sessions.delete(call.id).catch((err: unknown) => this.log.warn({ err }, 'session store'));
    this.log.info({ reason, durationMs, turns: transcript.length }, 'call ended');
    await this.stream.hangUp(!NO_PROVIDER_HANGUP.has(reason));
    if (postCall && postCallDeps) {
      // After the call is stored and hung up: it never waits for, or fails with, this work.
      const ended = {
        call,
        status: this.failed ? 'failed' : 'completed',
        startedAt: this.startedAt.toISOString(),
        endedAt: endedAt.toISOString(),
        durationMs,
        endReason: reason,
        transcript,
        usage,
      };
      const record = (type: string, data: Record<string, unknown>) => {
        this.eventRecorder.record(type, data);
      };
      const work = () =>
        runPostCall(postCall, ended, this.llm, postCallDeps, record, this.log).then(() =>
          this.eventRecorder.flush(),
        );
      // Not awaited: `run()` resolves once the call itself is stored. The journal tracks the work
      // (a graceful stop waits for it) and logs its failures.
      if (this.deps.postCallJournal) void this.deps.postCallJournal.run(call.id, work);
      else void work().catch((err: unknown) => this.log.error({ err }, 'post-call work failed'));
    }
  }

  /** The greeting, after the set-up notices, rendered with the call's variables. */
  private greetingText(): string | undefined {
    const { greeting } = this.stream.agent.config;
    const text = greeting ? renderTemplate(greeting, this.vars) : undefined;
    return [...this.notices, ...(text ? [text] : [])].join(' ') || undefined;
  }

  /**
   * Runs the agent's pre-call request (the greeting waits for it, at most its `timeoutSecs`)
   * and renders the prompt and greeting again with its variables (stored as a
   * `context_injected` event). A failure is logged and stored as an `error` event; the call
   * goes on with its context and defaults. The idle prompts, rendered when said, see them too.
   */
  private async injectPreCall(): Promise<void> {
    const { call, agent } = this.stream;
    const config = agent.config.preCall;
    if (!config || !this.deps.preCall) return;
    try {
      const { values, issues } = await runPreCall(
        config,
        {
          callId: call.id,
          direction: call.direction,
          from: call.from ?? '',
          to: call.to ?? '',
          vars: this.vars,
          variables: agent.config.variables,
        },
        this.deps.preCall,
      );
      for (const [name, value] of Object.entries(values)) this.vars[name] = String(value);
      if (issues.length > 0) this.log.warn({ issues }, 'pre-call answer: some variables were not set');
      const agentPrompt = renderTemplate(agent.config.prompt, this.vars);
      this.context.replace([{ role: 'system', content: agentPrompt }]);
      this.flowOptions = { ...this.flowOptions, agentPrompt };
      this.greeting = this.greetingText();
      this.eventRecorder.record('context_injected', {
        source: 'pre_call',
        variables: values,
        ...(issues.length > 0 ? { issues } : {}),
      });
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      this.log.warn({ err }, 'pre-call request failed: the call goes on with its defaults');
      this.recordError(message, { source: 'pre_call' });
    }
  }

  /** The agent's published flow version, pinned to the call; none when it has none or the read fails. */
  private async pinFlow(): Promise<FlowVersion | undefined> {
    const { call, agent } = this.stream;
    try {
      return await this.deps.flows?.pinPublished(call.id, agent.id);
    } catch (err) {
      this.log.error({ err }, 'could not read the agent’s flow: the call runs without it');
      this.recordError('the agent’s flow could not be read', { source: 'flow' });
      return undefined;
    }
  }

  /** Runs the flow on the call's LLM; a flow that cannot start leaves the call on the agent's prompt. */
  private async startFlow(version: FlowVersion): Promise<FlowManager | undefined> {
    try {
      const nodeTools = await this.setUpNodeTools(version);
      const manager = await startCallFlow({ ...this.flowOptions, version, nodeTools });
      this.log.info({ flowVersion: version.version }, 'flow started');
      return manager;
    } catch (err) {
      this.log.error({ err, flowVersion: version.version }, 'the flow could not start');
      this.recordError('the flow could not start', { source: 'flow', flowVersion: version.version });
      return undefined;
    }
  }

  /**
   * The tools the flow's nodes name (`toolIds`), set up for this call by id; one that cannot be
   * set up is logged, stored as an `error` event and left out of its nodes.
   */
  private async setUpNodeTools(version: FlowVersion): Promise<Map<string, CallTool>> {
    const tools = new Map<string, CallTool>();
    const parsed = flowDefinitionSchema.safeParse(version.definition);
    const ids = new Set(parsed.success ? parsed.data.nodes.flatMap((n) => n.toolIds ?? []) : []);
    if (!this.deps.tools) return tools;
    const { config } = this.stream.agent;
    // `mcp:<server>/<tool>` ids: one connection per server, listing only the tools nodes name.
    const mcpTools = new Map<string, Map<string, string>>(); // server → tool → id
    for (const id of ids) {
      const ref = parseMcpToolId(id);
      if (!ref) continue;
      ids.delete(id);
      mcpTools.set(ref.server, (mcpTools.get(ref.server) ?? new Map()).set(ref.tool, id));
    }
    for (const id of ids) {
      const set = await this.nodeToolSet({ ...config, tools: [id], mcpServers: [] }, id);
      if (set?.tools[0]) tools.set(id, set.tools[0]);
    }
    for (const [name, wanted] of mcpTools) {
      const server = config.mcpServers?.find((s) => s.name === name);
      if (!server) {
        this.recordError(`flow: the agent has no MCP server "${name}"; its tools are left out`, {
          source: 'tools',
          toolId: `mcp:${name}`,
        });
        continue;
      }
      const allowTools = [...wanted.keys()].filter(
        (t) => !server.allowTools || server.allowTools.includes(t),
      );
      const set = await this.nodeToolSet(
        { ...config, tools: [], mcpServers: [{ ...server, allowTools }] },
        `mcp:${name}`,
      );
      for (const tool of set?.tools ?? []) {
        const id = tool.remoteName === undefined ? undefined : wanted.get(tool.remoteName);
        if (id) tools.set(id, tool);
      }
      for (const [tool, id] of wanted) {
        if (set && !tools.has(id))
          this.recordError(`flow: MCP server "${name}" offers no tool "${tool}"; left out`, {
            source: 'tools',
            toolId: id,
          });
      }
    }
    return tools;
  }

  /** The tools of `config` for the flow's nodes; problems are logged and stored as `error` events. */
  private async nodeToolSet(config: AgentConfig, toolId: string): Promise<CallToolSet | undefined> {
    if (!this.deps.tools) return undefined;
    const set = await this.deps
      .tools({
        config,
        vars: this.vars,
        controls: this.controls(),
        log: this.toolLog,
        logger: this.log,
      })
      .catch((err: unknown) => {
        this.log.error({ err, toolId }, 'could not set up a flow tool');
        return undefined;
      });
    if (!set) return undefined;
    this.nodeToolSets.push(set);
    for (const problem of set.problems) this.recordError(problem, { source: 'tools', toolId });
    return set;
  }

  /**
   * Registers the agent's tools on the call's LLM and offers them in its context; what cannot
   * be set up is logged and stored as an `error` event, and the call goes on without it.
   */
  private async setUpTools(): Promise<void> {
    const { config } = this.stream.agent;
    if (!this.deps.tools || (!config.tools?.length && !config.mcpServers?.length)) return;
    try {
      this.toolSet = await this.deps.tools({
        config,
        vars: this.vars,
        controls: this.controls(),
        log: this.toolLog,
        logger: this.log,
      });
    } catch (err) {
      this.log.error({ err }, 'could not set up the agent tools');
      this.recordError('the agent tools could not be set up', { source: 'tools' });
      return;
    }
    for (const problem of this.toolSet.problems) {
      this.log.warn(`set-up problem: ${problem}`);
      this.recordError(problem, { source: 'tools' });
    }
    for (const tool of this.toolSet.tools) {
      this.llm.registerFunction(tool.definition.name, tool.handler, tool.options);
      this.context.tools.push(tool.definition);
    }
  }

  /** What the agent's built-in tools do to this call. */
  private controls(): CallControls {
    return {
      endCall: (goodbye) => this.endWithGoodbye(goodbye, 'agent_ended'),
      transfer: (destination, line, signal) => this.transfer(destination, line, signal),
    };
  }

  /**
   * The built-in `transfer_call` (see `CallControls.transfer`): says `line`, waits until it
   * (else the speech already started) has played, then asks the provider to transfer. Once the
   * provider accepted: a `call_transferred` event, the caller's audio is no longer listened to,
   * and the call ends with reason `transferred` when the provider ends the stream (or we close
   * it after {@link TRANSFER_CLOSE_TIMEOUT_MS}); the provider is not told to hang up.
   */
  private async transfer(
    destination: TransferDestination,
    line: string | undefined,
    signal: AbortSignal,
  ): Promise<TransferOutcome> {
    const { transferCall } = this.deps;
    if (!transferCall) return { ok: false, error: 'this server cannot transfer calls' };
    if (this.endReason !== undefined) return { ok: false, error: 'the call is already ending' };
    if (this.transferring) return { ok: false, error: 'another transfer is under way' };
    this.transferring = true;
    let outcome: TransferOutcome;
    try {
      if (line !== undefined) this.llm.push(frame('tts_speak', { text: line }));
      await this.speech.played(line, playoutTimeoutMs(line), signal);
      if (this.endReason !== undefined) return { ok: false, error: 'the call ended before the transfer' };
      const { call, agent } = this.stream;
      outcome = await transferCall(
        call,
        { destination: destination.name, to: destination.number, callerId: agent.config.transfer?.callerId },
        signal,
      );
    } finally {
      this.transferring = false;
    }
    if (!outcome.ok) return outcome;
    this.transferred = true;
    this.endReason ??= 'transferred';
    this.eventRecorder.record('call_transferred', { destination: destination.name, to: destination.number });
    this.transferCloseTimer = setTimeout(() => this.cancel('transferred'), TRANSFER_CLOSE_TIMEOUT_MS);
    return outcome;
  }

  /** Keeps caller audio that came before the pipeline ran (bounded; later audio is dropped). */
  private keepEarly(audio: Int16Array, sampleRateHz: number): void {
    if (this.earlySamples + audio.length > (MAX_EARLY_AUDIO_MS * sampleRateHz) / 1000) return;
    this.early?.push({ audio, sampleRateHz });
    this.earlySamples += audio.length;
  }

  private putSession(callId: string, agentId: string, streamId: string): void {
    const session = {
      callId,
      agentId,
      provider: this.stream.call.provider,
      streamId,
      startedAt: this.startedAt.toISOString(),
      serverId: this.deps.serverId,
    };
    this.deps.sessions
      .put(session, SESSION_TTL_SECS)
      .catch((err: unknown) => this.log.warn({ err }, 'session store'));
  }

  private onTranscriptEntry(entry: TranscriptEntry): void {
    if (entry.role === 'user')
      this.eventRecorder.record('user_spoke', { text: entry.text, atMs: entry.atMs });
    else {
      this.eventRecorder.record('agent_spoke', {
        text: entry.text,
        atMs: entry.atMs,
        ...(entry.interrupted ? { interrupted: true } : {}),
      });
    }
  }
}

/**
 * Longest wait for a transfer's line (or the speech before it) to play, ms: 5 s plus 100 ms a
 * character (slower than any voice speaks), at most 40 s (within `transfer_call`'s time limit).
 */
function playoutTimeoutMs(line: string | undefined): number {
  return Math.min(40_000, 5000 + 100 * (line?.length ?? 0));
}

/**
 * The turn-taking processors of an agent's pipeline, between the STT and the user aggregator:
 * turn and interruption decisions (with the agent's mute rules), the idle-caller prompts and,
 * when configured, the maximum call duration (which ends the call with reason `max_duration`).
 */
function turnTaking(
  config: AgentConfig,
  vars: Readonly<Record<string, string>>,
  hasGreeting: boolean,
): FrameProcessor[] {
  const turns = config.turns ?? {};
  const mutes: MuteStrategy[] = [];
  if (hasGreeting && (turns.muteDuringGreeting ?? true)) mutes.push(new FirstSpeechMuteStrategy());
  if (turns.muteDuringFunctionCalls ?? true) mutes.push(new FunctionCallMuteStrategy());
  const processors: FrameProcessor[] = [
    new UserTurnProcessor({
      endpointing: {
        minDelaySecs: turns.minEndpointingDelaySecs,
        maxDelaySecs: turns.maxEndpointingDelaySecs,
      },
      interruptions: {
        enabled: turns.interruptions,
        minSpeechSecs: turns.minInterruptionSecs,
        minWords: turns.minInterruptionWords,
        falseInterruptionTimeoutSecs: turns.falseInterruptionTimeoutSecs,
        backchannels: turns.backchannels,
      },
      muteStrategies: mutes,
      vad: { startSecs: config.vad?.startSecs, stopSecs: config.vad?.stopSecs },
    }),
  ];
  const idle = config.userIdle ?? {};
  const { prompt, goodbye } = idle;
  if (idle.enabled ?? true) {
    processors.push(
      new UserIdleProcessor({
        timeoutSecs: idle.timeoutSecs,
        maxPrompts: idle.maxPrompts,
        // Rendered when said: `vars` gets the pre-call values after the pipeline is built.
        prompt: prompt ? () => renderTemplate(prompt, vars) : undefined,
        goodbye: goodbye ? () => renderTemplate(goodbye, vars) : undefined,
      }),
    );
  }
  if (config.maxDurationSecs)
    processors.push(new MaxDurationProcessor({ maxDurationSecs: config.maxDurationSecs }));
  return processors;
}
