import type { Frame } from '../frames/frames.ts';
import type { MuteStrategy } from './mute-strategy.ts';

/**
 * Mutes the caller while a function call runs: from `function_calls_started` or
 * `function_call_in_progress` until every call announced has its `function_call_result` or
 * `function_call_cancel` (calls are told apart by tool-call id). `end` and `cancel` unmute.
 *
 * The turn processor sits before the LLM, so the LLM service must push these frames upstream
 * as well as downstream for this strategy to see them.
 */
export class FunctionCallMuteStrategy implements MuteStrategy {
  readonly name = 'function_call';
  private readonly running = new Set<string>();

  get muted(): boolean {
    return this.running.size > 0;
  }

  observe(f: Frame): void {
    switch (f.type) {
      case 'function_calls_started':
        for (const call of f.calls) this.running.add(call.id);
        break;
      case 'function_call_in_progress':
        this.running.add(f.call.id);
        break;
      case 'function_call_result':
      case 'function_call_cancel':
        this.running.delete(f.toolCallId);
        break;
      case 'end':
      case 'cancel':
        this.running.clear();
        break;
    }
  }
}
