import type { FrameEvent, TaskObserver, TurnTiming } from '@parley/pipeline';
import type { JournalEntry } from '../durability/write-journal.ts';
import type { ToolEventDetails } from './tools/tool-call-log.ts';

/** Stores a journal entry (the server's `WriteJournal.write`); resolves once it is durable, never rejects. */
export type EventWriter = (entry: JournalEntry) => Promise<void>;

type QueuedEvent = Extract<JournalEntry, { kind: 'events' }>['events'][number];

/**
 * Writes a call's events in order, batched (at most one write in flight, flushed every
 * `flushMs`) through the server's write journal, each with a key unique to the call so a
 * replayed batch is stored once; maps pipeline frames to events: `tool_called` (`toolCallId`,
 * `name`, `arguments` as the LLM sent them) and `tool_result` (`toolCallId`, `name`, `ok`,
 * `durationMs`, `resultChars`, `result`; a cancelled call has `ok: false` and `cancelled` with the
 * reason), each with what `tools` knows of the tool Parley ran (`source`, `toolId`, `status`,
 * `attempts`, `error`).
 * Transcript lines (`user_spoke`, `agent_spoke`), `error`, `call_started` and `call_ended`
 * are added by the call session through {@link record}, and each user turn's voice latency
 * (`turn`) through {@link recordTurn}.
 */
export class CallEventRecorder implements TaskObserver {
  private queue: QueuedEvent[] = [];
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  private readonly seen = new Set<number>();
  /** Start of each running function call (`performance.now()`), by tool call id. */
  private readonly callStarts = new Map<string, number>();
  private count = 0;

  constructor(
    private readonly callId: string,
    private readonly write: EventWriter,
    private readonly flushMs = 250,
    /** Details of the tools the server runs (webhook, MCP, built-in). */
    private readonly tools?: ToolEventDetails,
    /** Sees each event as it is queued (the live monitor's feed); must not throw. */
    private readonly onRecord?: (event: { type: string; at: string; data: Record<string, unknown> }) => void,
  ) {}

  /** Queue an event (stamped now). */
  record(type: string, data: Record<string, unknown> = {}): void {
    const at = new Date().toISOString();
    this.queue.push({ key: `${this.callId}:${++this.count}`, type, at, data });
    this.onRecord?.({ type, at, data });
    this.timer ??= setTimeout(() => void this.flush(), this.flushMs);
  }

  /**
   * Queue a `turn` event: one user turn's voice latency, from a `TurnTimingObserver`. Its data
   * is the {@link TurnTiming} as is: `turn` (1-based), `atMs` (since the call started), `outcome`
   * (`played` | `interrupted` | `ended`) and each step that happened, in ms from the moment the
   * caller stopped speaking (`sttFinalMs`, `llmFirstTokenMs`, `firstSentenceMs`, `ttsFirstAudioMs`,
   * `firstAudioSentMs`, `firstSentencePlayedMs`, …).
   */
  recordTurn(timing: TurnTiming): void {
    this.record('turn', { ...timing });
  }

  readonly frameTypes = [
    'function_call_in_progress',
    'function_call_result',
    'function_call_cancel',
    'service_switched',
  ] as const;

  onFrame({ frame: f }: FrameEvent): void {
    if (
      f.type !== 'function_call_in_progress' &&
      f.type !== 'function_call_result' &&
      f.type !== 'function_call_cancel' &&
      f.type !== 'service_switched'
    ) {
      return;
    }
    // Function-call frames go both ways: each is recorded once.
    if (this.seen.has(f.id)) return;
    this.seen.add(f.id);
    if (f.type === 'service_switched') {
      const { service, from, to, reason, error } = f;
      this.record('service_switched', {
        service,
        from,
        to,
        reason,
        ...(error === undefined ? {} : { error }),
      });
      return;
    }
    if (f.type === 'function_call_in_progress') {
      this.callStarts.set(f.call.id, performance.now());
      this.record('tool_called', {
        toolCallId: f.call.id,
        name: f.call.function.name,
        arguments: f.call.function.arguments,
        ...this.tools?.called(f.call.function.name),
      });
      return;
    }
    const details = this.tools?.result(f.toolCallId);
    const common = { toolCallId: f.toolCallId, name: f.name, durationMs: this.durationOf(f.toolCallId) };
    if (f.type === 'function_call_cancel') {
      this.record('tool_result', { ...common, ...details, ok: false, cancelled: f.reason });
    } else {
      this.record('tool_result', {
        ...common,
        ok: !isErrorResult(f.result),
        ...details,
        resultChars: f.result.length,
        result: f.result,
      });
    }
  }

  private durationOf(toolCallId: string): number | undefined {
    const start = this.callStarts.get(toolCallId);
    this.callStarts.delete(toolCallId);
    return start === undefined ? undefined : Math.round(performance.now() - start);
  }

  /** Write everything queued so far; resolves when it is stored or journaled (never rejects). */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const events = this.queue;
    this.queue = [];
    if (events.length === 0) return this.writing;
    this.writing = this.writing.then(() => this.write({ kind: 'events', callId: this.callId, events }));
    return this.writing;
  }
}

/** Whether a result is a JSON object with an `error` field (what failed calls give the LLM). */
function isErrorResult(result: string): boolean {
  if (!result.startsWith('{')) return false;
  try {
    const value: unknown = JSON.parse(result);
    return typeof value === 'object' && value !== null && 'error' in value;
  } catch {
    return false;
  }
}
