import type { SummaryOutcome } from './summary.ts';
import type { FlowNode } from './types.ts';

/** A transition a function returned, waiting for its group of calls to settle. */
export interface PendingTransition {
  readonly next: FlowNode;
  readonly functionName: string;
  /** The summary for a `reset_with_summary` node, once made (undefined until then). */
  summary: SummaryOutcome | undefined;
}

/** The function calls of one LLM response, which run in parallel. */
export interface CallGroup {
  /** Calls not ended yet. */
  readonly open: Set<string>;
  /** Still inside the LLM response that asked for them (the LLM will run once more after them). */
  inline: boolean;
  /** The first transition one of its functions returned. */
  transition: PendingTransition | undefined;
}

/**
 * Tracks the LLM service's call groups from its frames: `function_calls_started` opens a group,
 * each call's `function_call_result` or `function_call_cancel` closes its call (the pipeline's
 * runner ends every call exactly once), and the group settles when its last call closed.
 */
export class CallGroups {
  private readonly byCall = new Map<string, CallGroup>();

  /** A response asked for `ids`; `inline` when that response is still running. */
  started(ids: readonly string[], inline: boolean): void {
    const group: CallGroup = { open: new Set(ids), inline, transition: undefined };
    for (const id of ids) this.byCall.set(id, group);
  }

  /** The group of a call that has not ended yet. */
  groupOf(toolCallId: string): CallGroup | undefined {
    return this.byCall.get(toolCallId);
  }

  /** A call ended; returns its group when that was the group's last open call. */
  ended(toolCallId: string): CallGroup | undefined {
    const group = this.byCall.get(toolCallId);
    if (!group) return undefined;
    this.byCall.delete(toolCallId);
    group.open.delete(toolCallId);
    return group.open.size === 0 ? group : undefined;
  }

  /** The caller interrupted: no open group's response will run the LLM again. */
  interrupted(): void {
    for (const group of this.byCall.values()) group.inline = false;
  }
}
