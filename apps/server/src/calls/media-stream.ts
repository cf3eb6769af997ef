import type { TaskObserver } from '@parley/pipeline';
import type { ProviderEvent, TelephonySerializer, TransportName } from '@parley/telephony';
import { ProviderProtocolError } from '@parley/telephony';
import type { WebSocket } from 'ws';
import type { Agent, AgentRepository } from '../db/agents.ts';
import type { CallEventRepository } from '../db/call-events.ts';
import type { Call } from '../db/call-types.ts';
import { DuplicateCallError } from '../db/errors.ts';
import type { TelephonySettingsRepository } from '../db/telephony-settings.ts';
import type { RefusalCounters } from '../limits/refusals.ts';
import { MAX_STREAM_MESSAGE_BYTES } from '../limits/stream-messages.ts';
import type { PendingStreamTicket } from '../limits/upgrade-gate.ts';
import type { CallAdmission } from '../telephony/admission.ts';
import { OVER_LIMIT_REASON } from '../telephony/inbound.ts';
import { hashStreamToken } from '../telephony/stream-token.ts';
import { CallSession, type CallSessionDeps } from './call-session.ts';
import { PlaybackTracker } from './playback-tracker.ts';
import type { ServiceFactory } from './services.ts';

/** What the media stream handler needs. */
export interface MediaStreamDeps extends CallSessionDeps {
  readonly agents: AgentRepository;
  /** Builds each call's STT, LLM and TTS for its agent. */
  readonly services: ServiceFactory;
  readonly events: CallEventRepository;
  readonly settings: TelephonySettingsRepository;
  readonly admission: CallAdmission;
  /** Live sessions by call id (the server ends them on shutdown). */
  readonly active: Map<string, CallSession>;
  /**
   * Ends the call through the provider's REST API (when its credentials are set); resolves
   * when done, never rejects. Called when the agent ends the call.
   */
  readonly hangUpCall: (call: Call) => Promise<void>;
  /** Where refused streams and messages are counted. */
  readonly refusals: RefusalCounters;
  /** How long a stream may take to send its `start`, ms. */
  readonly streamStartTimeoutMs: number;
}

/** A call id and its one-time stream token, as the stream presents them. */
export interface StreamCredentials {
  readonly callId: string;
  readonly token: string;
}

/** One media-stream connection's request facts. */
export interface MediaStreamRequest {
  readonly provider: TransportName;
  readonly agentId: string;
  readonly serializer: TelephonySerializer;
  readonly remoteAddress: string;
  /**
   * Credentials from the stream URL (Vobiz: its path). Otherwise they are read from the
   * `start` message's custom parameters `callId` and `token`.
   */
  readonly credentials?: StreamCredentials | undefined;
  /**
   * The upgrade request was authenticated as the provider by other means (Exotel Basic auth or
   * IP allow-list): a stream without credentials may then start a new inbound call (Exotel's
   * static Voicebot URL has no webhook before the stream).
   */
  readonly authenticated?: boolean;
  /** The upgrade's place among its address's pending streams: handed back once `start` comes or the socket closes. */
  readonly pending?: PendingStreamTicket | undefined;
  /** Close code of a stream refused at its `start` (a wrong or used token, …); default 1008. */
  readonly refusedCloseCode?: number;
  /** More observers of the call's pipeline (the browser's live transcript). */
  readonly observers?: readonly TaskObserver[];
}

/** Close codes (RFC 6455 §7.4.1). */
const POLICY_VIOLATION = 1008;
const NORMAL = 1000;
const MESSAGE_TOO_BIG = 1009;
const INTERNAL_ERROR = 1011;
/** A client that sends this many bad messages before `start` is not a provider. */
const MAX_BAD_BEFORE_START = 20;
/** `ws`'s error code for a message over its `maxPayload` (it closes with 1009 itself). */
const WS_MESSAGE_TOO_BIG = 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH';
/** Longest wait for the provider to play our last audio before an agent's hang-up, ms. */
const PLAYOUT_TIMEOUT_MS = 3000;
/** At most this many protocol errors become call events; the rest are counted. */
const MAX_ERROR_EVENTS = 20;
/** Media messages kept while a call loads: 10 s of Twilio's 20 ms frames (the session keeps 10 s too). */
const MAX_LOADING_EVENTS = 500;
type Phase = 'waiting' | 'starting' | 'running' | 'closed';

/**
 * Drives one provider WebSocket: reads messages through the provider's serializer, starts a
 * {@link CallSession} on `start`, and hands it everything after. Never throws: malformed
 * messages become `error` call events (the call continues); a message over the provider's size
 * limit ({@link MAX_STREAM_MESSAGE_BYTES}) closes the stream with 1009. A client that sends no
 * valid `start` in time, or a `start` that names no call it may carry (a wrong or used token,
 * a call that has its stream already), is disconnected with 1008, logged as a warning and
 * counted; it writes no call row.
 */
export class MediaStreamConnection {
  private phase: Phase = 'waiting';
  /** Caller media and keys that came while the call loaded, in order. */
  private loading: ProviderEvent[] = [];
  private session: CallSession | undefined;
  private readonly early: Array<{ message: string; code: string }> = [];
  private readonly playback = new PlaybackTracker();
  private badBeforeStart = 0;
  private errorEvents = 0;
  private droppedErrors = 0;
  private stopReceived = false;
  private socketFailed = false;
  private readonly startTimer: NodeJS.Timeout;

  constructor(
    private readonly socket: WebSocket,
    private readonly request: MediaStreamRequest,
    private readonly deps: MediaStreamDeps,
  ) {
    socket.on('error', (err) => this.onSocketError(err));
    socket.on('message', (data, isBinary) => this.onMessage(data, isBinary));
    socket.on('close', () => this.onClose());
    this.startTimer = setTimeout(
      () => this.reject(`no start message within ${deps.streamStartTimeoutMs / 1000} s`),
      deps.streamStartTimeoutMs,
    );
  }

  private onMessage(data: unknown, isBinary: boolean): void {
    if (this.phase === 'closed') return;
    const bytes = Buffer.isBuffer(data) ? data.length : 0;
    if (bytes > MAX_STREAM_MESSAGE_BYTES[this.request.provider]) {
      this.tooLarge(
        `a message of ${bytes} bytes, over the limit of ${MAX_STREAM_MESSAGE_BYTES[this.request.provider]}`,
      );
      this.close(MESSAGE_TOO_BIG, 'message too big');
      return;
    }
    const { serializer } = this.request;
    if (isBinary && !serializer.parseBinary) {
      this.protocolError('binary WebSocket frames are not part of the protocol', 'invalid_message');
      return;
    }
    let event: ProviderEvent;
    try {
      if (isBinary) event = serializer.parseBinary!(Buffer.isBuffer(data) ? data : Buffer.alloc(0));
      else event = serializer.parse(Buffer.isBuffer(data) ? data.toString('utf8') : String(data));
    } catch (e) {
      if (e instanceof ProviderProtocolError) this.protocolError(e.message, e.code);
      else this.protocolError(e instanceof Error ? e.message : String(e), 'invalid_message');
      return;
    }
    if (event.type === 'unknown') {
      this.protocolError(`unknown event "${event.event}" ignored`, 'unknown_event');
      return;
    }
    if (event.type === 'stop') this.stopReceived = true;
    else if (event.type === 'mark') this.playback.acknowledged(event.name);
    else if (event.type === 'cleared') this.playback.cleared();
    if (this.phase === 'waiting') {
      if (event.type === 'start') void this.begin(event);
      return;
    }
    if (this.phase === 'running') this.session?.handle(event);
    else if (this.phase === 'starting' && (event.type === 'media' || event.type === 'dtmf')) {
      // The caller may already speak while the call loads: keep it (bounded) for the session.
      if (this.loading.length < MAX_LOADING_EVENTS) this.loading.push(event);
    }
  }

  /**
   * A bad frame, a frame over `maxPayload` (ws then closes with 1009) or a lost connection: the
   * client's fault or the network's, so a warning without a stack; the call's events say why
   * it ended.
   */
  private onSocketError(err: Error): void {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === WS_MESSAGE_TOO_BIG) {
      this.tooLarge(err.message);
      return;
    }
    this.deps.logger.warn(
      { code, agentId: this.request.agentId, callId: this.session?.callId },
      `media stream socket error: ${err.message}`,
    );
    this.socketFailed = true;
    this.protocolError(`media stream socket error: ${err.message}`, 'socket_error');
  }

  /** A message over the size limit: logged, counted, and the end of the stream. */
  private tooLarge(detail: string): void {
    this.deps.refusals.count('message_too_large');
    this.deps.logger.warn(
      { agentId: this.request.agentId, callId: this.session?.callId, remote: this.request.remoteAddress },
      `media stream closed: ${detail}`,
    );
    this.socketFailed = true;
    if (this.session) this.protocolError(`message too large: ${detail}`, 'message_too_large');
  }

  private protocolError(message: string, code: string): void {
    const notice = this.request.serializer.encodeError?.(code, message);
    if (notice !== undefined) this.send(notice);
    if (this.session) {
      if (this.errorEvents < MAX_ERROR_EVENTS) {
        this.errorEvents++;
        this.session.recordError(message, { code, provider: this.request.provider });
      } else this.droppedErrors++;
      return;
    }
    if (this.early.length < MAX_ERROR_EVENTS) this.early.push({ message, code });
    // Only a start declares the format, and the provider sends one: no call can follow.
    if (code === 'unsupported_encoding' && this.phase === 'waiting') {
      this.reject('the start declares audio we cannot decode');
      return;
    }
    if (++this.badBeforeStart >= MAX_BAD_BEFORE_START && this.phase === 'waiting') {
      this.reject(`${this.badBeforeStart} invalid messages before start`);
    }
  }

  private async begin(start: Extract<ProviderEvent, { type: 'start' }>): Promise<void> {
    this.phase = 'starting';
    clearTimeout(this.startTimer);
    this.request.pending?.release();
    const { deps, request } = this;
    let admittedCall: Call | undefined;
    try {
      const admitted = await this.admit(start);
      if (!admitted) return;
      const { call, agent } = admitted;
      admittedCall = call;
      deps.admission.release(call.id);
      const services = await deps.services(agent.config);
      if (this.isClosed()) {
        // The socket closed while we were loading: the call never really started.
        await deps.calls.finish(call.id, { status: 'failed', endReason: 'connection_lost' });
        return;
      }
      const session = new CallSession(
        deps,
        {
          call,
          agent,
          streamId: start.streamId,
          sampleRateHz: start.mediaFormat.sampleRateHz,
          outputChunkMs: request.serializer.outputChunkMs,
          sink: {
            sendAudio: (pcm, rate) => this.send(request.serializer.encodeAudio(pcm, rate)),
            sendMark: (name) => {
              this.playback.sent(name);
              this.send(request.serializer.encodeMark(name));
            },
            clearAudio: () => {
              this.playback.cleared();
              this.send(request.serializer.encodeClear());
            },
          },
          hangUp: (byAgent) => this.hangUp(call, byAgent),
          ...(request.observers ? { observers: request.observers } : {}),
        },
        services,
      );
      this.session = session;
      deps.active.set(call.id, session);
      for (const e of this.early)
        session.recordError(e.message, { code: e.code, provider: request.provider });
      this.phase = 'running';
      for (const event of this.loading) session.handle(event);
      this.loading = [];
      const done = session.run();
      if (this.stopReceived) session.cancel('caller_hung_up'); // hung up while the call loaded
      await done;
    } catch (err) {
      deps.logger.error({ err, agentId: request.agentId }, 'media stream failed');
      if (this.session) this.session.cancel('internal_error', true);
      else if (admittedCall) {
        // The session never ran to store the end: do it here, or the call stays live forever.
        await deps.calls
          .finish(admittedCall.id, { status: 'failed', endReason: 'internal_error' })
          .catch((e: unknown) =>
            deps.logger.error({ err: e, callId: admittedCall?.id }, 'could not end the call'),
          );
      }
      this.close(INTERNAL_ERROR, 'internal error');
    } finally {
      if (this.session) deps.active.delete(this.session.callId);
      if (this.droppedErrors > 0) {
        deps.logger.warn(
          { dropped: this.droppedErrors, callId: this.session?.callId },
          'protocol errors not stored',
        );
      }
    }
  }

  /**
   * The call this stream belongs to: the one whose one-time token it presents, or, for an
   * authenticated provider connection without one, a new inbound call. Anything else is
   * refused (closed with 1008, logged and counted; no call row is written).
   */
  private async admit(
    start: Extract<ProviderEvent, { type: 'start' }>,
  ): Promise<{ call: Call; agent: Agent } | undefined> {
    const { deps, request } = this;
    const credentials = request.credentials ?? credentialsOf(start.customParameters);
    if (credentials) {
      let call = await deps.calls.claimStreamToken(
        credentials.callId,
        hashStreamToken(credentials.token),
        { provider: request.provider, agentId: request.agentId },
        start.streamId,
      );
      if (!call || deps.active.has(call.id)) {
        await this.refuse('the stream token is unknown, used, or for another call', start);
        return undefined;
      }
      if (call.providerCallId === null && start.callId) {
        await deps.calls.setProviderCallId(call.id, start.callId);
        call = { ...call, providerCallId: start.callId };
      }
      const agent = await deps.agents.get(request.agentId);
      if (!agent) {
        await this.refuse(`unknown agent "${request.agentId}"`, start, call.id);
        return undefined;
      }
      return { call, agent };
    }
    if (!request.authenticated) {
      await this.refuse('a stream without a call the server created or accepted', start);
      return undefined;
    }
    const agent = await deps.agents.get(request.agentId);
    if (!agent) {
      await this.refuse(`unknown agent "${request.agentId}"`, start);
      return undefined;
    }
    const existing = start.callId
      ? await deps.calls.findByProviderCallId(request.provider, start.callId)
      : undefined;
    if (existing) {
      await this.refuse('a second stream for a call that already has one', start);
      return undefined;
    }
    let call: Call;
    try {
      call = await deps.calls.create({
        agentId: agent.id,
        provider: request.provider,
        direction: 'inbound',
        status: 'ringing',
        from: start.from ?? null,
        to: start.to ?? null,
        providerCallId: start.callId || null,
        providerMetadata: { accountId: start.accountId ?? null, customParameters: start.customParameters },
        streamId: start.streamId,
      });
    } catch (error) {
      // Two streams for the same provider call raced past the look-up above.
      if (!(error instanceof DuplicateCallError)) throw error;
      await this.refuse('a second stream for a call that already has one', start);
      return undefined;
    }
    const { maxConcurrentCalls } = await deps.settings.get();
    if (!deps.admission.tryAdmit(call.id, maxConcurrentCalls)) {
      deps.logger.warn({ callId: call.id, limit: maxConcurrentCalls }, 'call refused: concurrency limit');
      await deps.calls.finish(call.id, { status: 'busy', endReason: OVER_LIMIT_REASON });
      this.close(NORMAL, 'busy');
      return undefined;
    }
    return { call, agent };
  }

  /**
   * Ends the stream (which ends the call where nothing follows it). When the agent ended the
   * call, first lets the provider play what it has queued (the goodbye: until our last mark is
   * echoed, at most {@link PLAYOUT_TIMEOUT_MS}), sends the provider's stop message if it has
   * one, and after closing also hangs up through its REST API, in the background.
   */
  private async hangUp(call: Call, byAgent: boolean): Promise<void> {
    if (byAgent) {
      await this.playback.whenPlayed(PLAYOUT_TIMEOUT_MS);
      const stop = this.request.serializer.encodeHangup?.();
      if (stop !== undefined) this.send(stop);
    }
    this.close(NORMAL, 'call ended');
    if (byAgent) void this.deps.hangUpCall(call);
  }

  /**
   * Logs (a warning) and counts the refusal, then closes with 1008. No call row is written; a
   * call the stream proved its own (`claimedCallId`: it used the call's token) is ended
   * `failed` with the reason, as no other stream can carry it now.
   */
  private async refuse(
    reason: string,
    start: Extract<ProviderEvent, { type: 'start' }>,
    claimedCallId?: string,
  ): Promise<void> {
    this.deps.refusals.count('stream_refused');
    this.deps.logger.warn(
      {
        agentId: this.request.agentId,
        remote: this.request.remoteAddress,
        providerCallId: start.callId,
        callId: claimedCallId,
      },
      `media stream refused: ${reason}`,
    );
    if (claimedCallId !== undefined) await this.failClaimedCall(claimedCallId, reason);
    this.close(this.request.refusedCloseCode ?? POLICY_VIOLATION, 'not a valid media stream');
  }

  /** Ends a call whose stream could not start, with its errors, so admins see why. */
  private async failClaimedCall(callId: string, reason: string): Promise<void> {
    const { calls, events, logger, admission } = this.deps;
    admission.release(callId);
    try {
      const at = new Date();
      await events.append(callId, [
        ...this.early.map((e) => ({ type: 'error', at, data: { message: e.message, code: e.code } })),
        { type: 'error', at, data: { message: reason, code: 'stream_rejected' } },
      ]);
      await calls.finish(callId, { status: 'failed', endReason: reason, endedAt: at });
    } catch (err) {
      logger.error({ err, callId }, 'could not end a call whose stream was refused');
    }
  }

  /** A method, so the compiler does not narrow `phase` across awaits. */
  private isClosed(): boolean {
    return this.phase === 'closed';
  }

  /** Closes a stream that sent no valid `start` (1008): logged as a warning and counted, no call row. */
  private reject(reason: string): void {
    if (this.phase !== 'waiting') return;
    this.phase = 'closed';
    this.deps.refusals.count('stream_without_start');
    this.deps.logger.warn(
      {
        agentId: this.request.agentId,
        remote: this.request.remoteAddress,
        errors: this.early.map((e) => e.code),
      },
      `media stream rejected: ${reason}`,
    );
    this.close(POLICY_VIOLATION, 'not a valid media stream');
  }

  private onClose(): void {
    clearTimeout(this.startTimer);
    this.request.pending?.release();
    const wasRunning = this.phase === 'running' || this.phase === 'starting';
    this.phase = 'closed';
    if (!wasRunning || !this.session || this.stopReceived) return;
    if (!this.request.serializer.sendsStop && !this.socketFailed) {
      this.session.cancel('caller_hung_up');
      return;
    }
    this.session.recordError('media stream closed without a stop message', { code: 'connection_lost' });
    this.session.cancel('connection_lost');
  }

  private send(message: string | Uint8Array): void {
    if (this.socket.readyState === this.socket.OPEN) this.socket.send(message);
  }

  private close(code: number, reason: string): void {
    if (this.phase !== 'closed') this.phase = 'closed';
    clearTimeout(this.startTimer);
    if (this.socket.readyState === this.socket.OPEN || this.socket.readyState === this.socket.CONNECTING) {
      this.socket.close(code, reason);
    }
  }
}

/**
 * Stream credentials from `callId` and `token` values (Twilio `<Parameter>`s, Exotel query pairs,
 * Vobiz extra headers or URL path), or `undefined` unless both are present and non-empty.
 */
export function credentialsOf(parameters: {
  readonly callId?: string | undefined;
  readonly token?: string | undefined;
}): StreamCredentials | undefined {
  const { callId, token } = parameters;
  return callId && token ? { callId, token } : undefined;
}
