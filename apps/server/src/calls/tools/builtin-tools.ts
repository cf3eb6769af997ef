/**
 * Tools built into the server, which an agent enables by listing their names in
 * `config.tools` beside stored tool ids (e.g. `tools: ['end_call', 'check-order']`).
 *
 * Extension point: a new built-in (a `transfer_call` will be one) is an entry of
 * {@link BUILTIN_TOOLS}; what it needs from the call (e.g. a `transfer(to)` through the
 * provider) is added to {@link CallControls}, which the call session implements.
 */
import {
  type FunctionHandler,
  type FunctionOptions,
  FunctionResult,
  type ToolDefinition,
} from '@parley/pipeline';

/** What built-in tools may do to the call. */
export interface CallControls {
  /**
   * Ends the call as the agent: `goodbye` (when given) is said after what is already queued,
   * then the call ends with reason `agent_ended` and the provider is told to hang up.
   */
  endCall(goodbye: string | undefined): void;
}

/** A built-in tool: what the LLM sees, and its handler for one call. */
export interface BuiltinTool {
  readonly definition: ToolDefinition;
  readonly options?: FunctionOptions;
  handler(controls: CallControls): FunctionHandler;
}

/**
 * `end_call`: the agent hangs up, after an optional goodbye. Its result asks for no further LLM
 * run (`runLlm: false`), so no line follows the goodbye.
 */
const endCall: BuiltinTool = {
  definition: {
    name: 'end_call',
    description:
      'End the phone call when the conversation is over (the caller said goodbye, or asked to hang up). ' +
      'Pass what to say last as `goodbye`, or say it before calling this.',
    parameters: {
      type: 'object',
      properties: {
        goodbye: { type: 'string', maxLength: 500, description: 'Said to the caller before hanging up.' },
      },
      additionalProperties: false,
    },
  },
  // A hang-up the LLM decided on is not undone by the caller talking over it.
  options: { cancelOnInterruption: false },
  handler: (controls) => (args) => {
    const goodbye = typeof args.goodbye === 'string' && args.goodbye.trim() !== '' ? args.goodbye : undefined;
    controls.endCall(goodbye);
    return new FunctionResult({ status: 'the call is ending' }, { runLlm: false });
  },
};

/** Built-in tools by name. */
export const BUILTIN_TOOLS: ReadonlyMap<string, BuiltinTool> = new Map([[endCall.definition.name, endCall]]);
