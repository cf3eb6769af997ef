/**
 * Tools built into the server, which an agent enables by listing their names in
 * `config.tools` beside stored tool ids (e.g. `tools: ['end_call', 'check-order']`).
 *
 * Extension point: a new built-in is an entry of {@link BUILTIN_TOOLS}; what it needs from the
 * call is added to {@link CallControls}, which the call session implements.
 */
import {
  type FunctionHandler,
  type FunctionOptions,
  FunctionResult,
  type ToolDefinition,
} from '@parley/pipeline';
import type { AgentConfig } from '../../config/agent-config.ts';
import type { ToolCallLog } from './tool-call-log.ts';
import type { TransferDestination } from './transfer-config.ts';

/** How a transfer went: the provider accepted it, or why not (the call goes on). */
export type TransferOutcome = { readonly ok: true } | { readonly ok: false; readonly error: string };

/** What built-in tools may do to the call. */
export interface CallControls {
  /**
   * Ends the call as the agent: `goodbye` (when given) is said after what is already queued,
   * then the call ends with reason `agent_ended` and the provider is told to hang up.
   */
  endCall(goodbye: string | undefined): void;
  /**
   * Transfers the call to `destination` (one of the agent's `transfer.destinations`): `line`
   * (when given) is said after what is already queued; once what was queued has played, the
   * provider is asked to connect the caller to the destination's number. When it accepts, the
   * call ends with reason `transferred`, without a hang-up through the provider, once the
   * provider closes the media stream.
   *
   * @param signal - The tool call's: its abort stops the wait and the provider request.
   * @returns `{ ok: true }` once the provider accepted; otherwise why not, without secrets.
   */
  transfer(
    destination: TransferDestination,
    line: string | undefined,
    signal: AbortSignal,
  ): Promise<TransferOutcome>;
}

/** What a built-in tool is set up with for one call. */
export interface BuiltinToolContext {
  readonly config: AgentConfig;
  readonly controls: CallControls;
  /** Where its handler notes how each call went (the `tool_result` event's details). */
  readonly log: ToolCallLog;
}

/** A built-in tool set up for one call, ready to register. */
export interface BuiltinToolSetup {
  /** What the LLM sees. */
  readonly definition: ToolDefinition;
  readonly handler: FunctionHandler;
  readonly options: FunctionOptions;
}

/** A built-in tool. */
export interface BuiltinTool {
  /** The name agents list in `config.tools` and the LLM calls. */
  readonly name: string;
  /**
   * The tool for one call of the agent `context.config`; a string says why that agent cannot
   * have it (a set-up problem: the tool is left out, the call goes on).
   */
  setUp(context: BuiltinToolContext): BuiltinToolSetup | string;
}

/**
 * `end_call`: the agent hangs up, after an optional goodbye. Its result asks for no further LLM
 * run (`runLlm: false`), so no line follows the goodbye.
 */
const endCall: BuiltinTool = {
  name: 'end_call',
  setUp: ({ controls }) => ({
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
    handler: (args) => {
      controls.endCall(spokenText(args.goodbye));
      return new FunctionResult({ status: 'the call is ending' }, { runLlm: false });
    },
  }),
};

/**
 * Longest a transfer may take, ms: the line said first (the session waits at most 40 s), then
 * the provider's answer (at most 10 s).
 */
const TRANSFER_TIMEOUT_MS = 60_000;

/**
 * `transfer_call`: the agent transfers the call to one of `config.transfer.destinations`,
 * chosen by name (an enum of the names in the tool's schema); the number always comes from the
 * configuration, never from the LLM. An unknown name is answered with an error result and no
 * request; a transfer the provider refuses or cannot do is an error result too, and the call
 * goes on. Once the provider accepted, no further LLM run (`runLlm: false`).
 */
const transferCall: BuiltinTool = {
  name: 'transfer_call',
  setUp: ({ config, controls, log }) => {
    const destinations = config.transfer?.destinations ?? [];
    if (destinations.length === 0)
      return 'transfer_call needs transfer.destinations in the agent configuration';
    const names = destinations.map((d) => d.name);
    const listed = destinations
      .map((d) => (d.description ? `${d.name} (${d.description})` : d.name))
      .join('; ');
    const handler: FunctionHandler = async (args, { toolCallId, signal }) => {
      const destination = destinations.find((d) => d.name === args.destination);
      if (!destination) {
        const given = JSON.stringify(args.destination ?? null).slice(0, 80);
        log.settle(toolCallId, { ok: false, error: `invalid_arguments: unknown destination ${given}` });
        return {
          error: `unknown destination ${given}, nothing was dialed; choose one of: ${names.join(', ')}`,
        };
      }
      const outcome = await controls.transfer(destination, spokenText(args.message), signal);
      if (!outcome.ok) {
        log.settle(toolCallId, { ok: false, error: outcome.error });
        return {
          error: `the transfer to ${destination.name} failed (${outcome.error}); tell the caller, and keep helping them`,
        };
      }
      log.settle(toolCallId, { ok: true });
      return new FunctionResult(
        { status: `the call is being transferred to ${destination.name}` },
        { runLlm: false },
      );
    };
    return {
      definition: {
        name: 'transfer_call',
        description:
          'Transfer the phone call to a person or team when the caller asks for one, or needs help you cannot give. ' +
          'Pick the destination by name; pass a short line for the caller as `message` ' +
          '(e.g. "Connecting you to sales now."). If the transfer fails you get an error: tell the caller and go on.',
        parameters: {
          type: 'object',
          properties: {
            destination: {
              type: 'string',
              enum: names,
              description: `Where to transfer the call: ${listed}.`,
            },
            message: {
              type: 'string',
              maxLength: 300,
              description: 'Said to the caller before the transfer.',
            },
          },
          required: ['destination'],
          additionalProperties: false,
        },
      },
      // A transfer the LLM decided on is not undone by the caller talking over its line.
      options: { cancelOnInterruption: false, timeoutMs: TRANSFER_TIMEOUT_MS },
      handler,
    };
  },
};

/** `value` when it is a non-blank string: a line to say. */
function spokenText(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}

/** Built-in tools by name. */
export const BUILTIN_TOOLS: ReadonlyMap<string, BuiltinTool> = new Map(
  [endCall, transferCall].map((tool) => [tool.name, tool]),
);
