import type { LLMToolCall } from '@parley/pipeline';

/**
 * Joins the streamed `tool_use` content blocks of one Messages API response into complete
 * calls (https://docs.anthropic.com/en/docs/build-with-claude/streaming#input-json-delta):
 * `content_block_start` gives a block's `index`, `id` and `name`; `content_block_delta`s with
 * `input_json_delta` carry pieces of the arguments JSON (`partial_json`) to concatenate;
 * `content_block_stop` ends the block. A call with no argument pieces gets `{}`.
 */
export class ToolUseAssembler {
  private readonly open = new Map<number, { id: string; name: string; json: string }>();

  /** A `tool_use` block started at `index`. */
  start(index: number, id: string, name: string): void {
    this.open.set(index, { id, name, json: '' });
  }

  /** A piece of the arguments of the block at `index` (ignored when no tool block is open there). */
  add(index: number, partialJson: string): void {
    const call = this.open.get(index);
    if (call) call.json += partialJson;
  }

  /** The block at `index` stopped: its complete call, or `undefined` when it was not a tool block. */
  stop(index: number): LLMToolCall | undefined {
    const call = this.open.get(index);
    if (!call) return undefined;
    this.open.delete(index);
    return {
      id: call.id,
      type: 'function',
      function: { name: call.name, arguments: call.json.trim() ? call.json : '{}' },
    };
  }
}
