import { type Frame, frame } from '@parley/pipeline';
import { FlowActionError, FlowError } from './errors.ts';
import type { FlowManager } from './flow-manager.ts';
import type { FlowAction, FlowActionHandler } from './types.ts';

/** What running actions needs from the flow manager. */
export interface ActionHost {
  readonly flow: FlowManager;
  /**
   * Push `f` downstream from the LLM service: at once when `inline` (in the middle of the LLM's
   * response, between its runs), else through the service's input queue (behind its response).
   */
  emit(f: Frame, inline: boolean): void;
  /** Ask the task to end (`end_task` upstream). */
  endTask(reason: string): void;
  /** Resolves when the speech queued so far has been played. */
  speechPlayed(): Promise<void>;
  /** The handler registered for a custom action type. */
  handlerFor(type: string): FlowActionHandler | undefined;
  /** Report a failed action (a non-fatal `error` frame upstream). */
  reportError(error: FlowActionError): void;
}

/** How an action list ended. */
export type ActionsOutcome = 'done' | 'ended' | 'failed';

/**
 * Run a node's actions in order. `tts_say` and `end_conversation` only queue frames (so they keep
 * their place among the frames already flowing); `function` and custom actions first wait until
 * the speech queued before them has been played, then run their handler and are awaited.
 * `inline` applies to the frames queued before the first awaited action.
 * A failing action is reported and ends the list; `end_conversation` ends it too.
 */
export async function runActions(
  actions: readonly FlowAction[],
  node: string,
  host: ActionHost,
  inline: boolean,
): Promise<ActionsOutcome> {
  let now = inline;
  for (const action of actions) {
    try {
      switch (action.type) {
        case 'tts_say':
          host.emit(frame('tts_speak', { text: textOf(action) }), now);
          break;
        case 'end_conversation': {
          const text = action.text === undefined ? undefined : textOf(action);
          if (text) host.emit(frame('tts_speak', { text }), now);
          host.endTask(typeof action.reason === 'string' ? action.reason : 'flow_ended_conversation');
          return 'ended';
        }
        default: {
          const handler =
            action.type === 'function' ? (action.handler as FlowActionHandler) : host.handlerFor(action.type);
          if (typeof handler !== 'function') {
            throw new FlowError(`no handler is registered for action type "${action.type}"`);
          }
          now = false;
          await host.speechPlayed();
          await handler(action, host.flow);
        }
      }
    } catch (e) {
      host.reportError(new FlowActionError(action.type, node, e));
      return 'failed';
    }
  }
  return 'done';
}

function textOf(action: { readonly type: string; readonly text?: unknown }): string {
  if (typeof action.text !== 'string') throw new FlowError(`action ${action.type} needs a text`);
  return action.text;
}
