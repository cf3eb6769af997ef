import type { FlowNode } from './types.ts';

/**
 * A flow function's answer that moves the flow: `result` is what the LLM reads as the tool
 * result, `next` the node entered once the calls of the same LLM response have all ended.
 * Make one with {@link goTo}.
 */
export class FlowTransition {
  constructor(
    readonly next: FlowNode,
    readonly result: unknown,
  ) {}
}

/**
 * Return this from a flow function to move to `next`. The LLM reads `result` as the tool
 * result; without one, `{"status":"acknowledged"}`.
 *
 * @example handler: ({ size }, { flow }) => { flow.state.size = size; return goTo(confirmNode(), { ok: true }); }
 */
export function goTo(next: FlowNode, result: unknown = { status: 'acknowledged' }): FlowTransition {
  return new FlowTransition(next, result);
}
