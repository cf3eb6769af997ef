import type { Content, FunctionDeclaration, Part, Tool } from '@google/genai';
import type { LLMMessage, ToolDefinition } from '@parley/pipeline';
import { CALL_START_TEXT } from '../anthropic/messages.ts';

/** A conversation in the Gemini `generateContent` request shape. */
export interface GeminiConversation {
  /** The leading system messages, joined by a blank line; `undefined` when there are none. */
  readonly systemInstruction: string | undefined;
  /** `user` and `model` turns, the first from the user. */
  readonly contents: Content[];
}

/** Options of {@link toGeminiConversation}. */
export interface GeminiConversationOptions {
  /**
   * The `thoughtSignature` Gemini gave with the call of this id, if any: sent back on that
   * call's `functionCall` part, as Gemini 3 models require
   * (https://ai.google.dev/gemini-api/docs/thought-signatures).
   */
  readonly thoughtSignature?: (callId: string) => string | undefined;
}

/**
 * Convert Parley's context messages to a Gemini request
 * (https://ai.google.dev/api/generate-content, function calling:
 * https://ai.google.dev/gemini-api/docs/function-calling):
 * - the system messages before the first turn become `systemInstruction`; a system message
 *   later in the call becomes user text at its place (`contents` has no system role);
 * - an assistant message becomes a `model` turn: its text (when not empty), then one
 *   `functionCall` part per call (`id`, `name`, `args` parsed to an object, `{}` when they are
 *   not a JSON object);
 * - a `tool` message becomes a `functionResponse` part (`id`, the name of the call it answers,
 *   `response`: the result when it is a JSON object, else `{ output: result }`); the results
 *   of one group share a `user` turn that holds nothing else (Gemini wants exactly one
 *   response part per call part), and a result whose call is not in the context is left out;
 * - other consecutive turns of one role are merged, and a conversation that starts with the
 *   bot gets a short user turn ({@link CALL_START_TEXT}) first.
 *
 * Empty texts are left out (the API rejects empty text parts), and so is Parley's
 * `interrupted` flag.
 */
export function toGeminiConversation(
  messages: readonly LLMMessage[],
  options: GeminiConversationOptions = {},
): GeminiConversation {
  const system: string[] = [];
  const contents: Content[] = [];
  const callNames = new Map<string, string>();
  const responseTurns = new Set<Content>();
  const append = (role: 'user' | 'model', parts: Part[], responses = false) => {
    if (parts.length === 0) return;
    const last = contents.at(-1);
    if (last?.role === role && responseTurns.has(last) === responses) {
      last.parts?.push(...parts);
      return;
    }
    const turn: Content = { role, parts };
    contents.push(turn);
    if (responses) responseTurns.add(turn);
  };
  for (const m of messages) {
    switch (m.role) {
      case 'system':
        if (contents.length === 0) {
          if (m.content) system.push(m.content);
        } else {
          append('user', text(m.content));
        }
        break;
      case 'user':
        append('user', text(m.content));
        break;
      case 'assistant':
        append('model', [
          ...text(m.content ?? ''),
          ...(m.tool_calls ?? []).map((c): Part => {
            callNames.set(c.id, c.function.name);
            const signature = options.thoughtSignature?.(c.id);
            return {
              functionCall: { id: c.id, name: c.function.name, args: argumentsObject(c.function.arguments) },
              ...(signature ? { thoughtSignature: signature } : {}),
            };
          }),
        ]);
        break;
      case 'tool': {
        const name = callNames.get(m.tool_call_id);
        if (name === undefined) break;
        append(
          'user',
          [{ functionResponse: { id: m.tool_call_id, name, response: responseObject(m.content) } }],
          true,
        );
        break;
      }
    }
  }
  if (contents[0]?.role === 'model') contents.unshift({ role: 'user', parts: text(CALL_START_TEXT) });
  return {
    systemInstruction: system.length > 0 ? system.join('\n\n') : undefined,
    contents,
  };
}

/**
 * Convert Parley's tool definitions to one Gemini tool of `functionDeclarations`, the
 * parameters as plain JSON Schema (`parametersJsonSchema`,
 * https://ai.google.dev/api/caching#FunctionDeclaration). Returns `undefined` for no tools,
 * so the request carries no `tools` key at all.
 */
export function toGeminiTools(tools: readonly ToolDefinition[]): Tool[] | undefined {
  if (tools.length === 0) return undefined;
  return [
    {
      functionDeclarations: tools.map(
        (t): FunctionDeclaration => ({
          name: t.name,
          description: t.description,
          parametersJsonSchema: { type: 'object', ...t.parameters },
        }),
      ),
    },
  ];
}

function text(value: string): Part[] {
  return value ? [{ text: value }] : [];
}

/** `functionCall.args` must be an object: the parsed arguments, or `{}` when they are not one. */
function argumentsObject(json: string): Record<string, unknown> {
  const value = parseJson(json);
  return isObject(value) ? value : {};
}

/**
 * `functionResponse.response` must be an object: a JSON-object result as it is (so
 * `{"error": …}` reads as Gemini's error key), anything else under `output`.
 */
function responseObject(result: string): Record<string, unknown> {
  const value = parseJson(result);
  if (isObject(value)) return value;
  return { output: value === undefined ? result : value };
}

function parseJson(json: string): unknown {
  try {
    return JSON.parse(json);
  } catch {
    return undefined;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
