import { type LLMChunk, LLMService } from '@parley/pipeline';

/**
 * Stands in for the LLM when the agent cannot use one (no API key, …): every turn it says
 * `notice`, so the caller learns what the operator must fix.
 */
export class NoticeLLMService extends LLMService {
  constructor(private readonly notice: string) {
    super('NoticeLLMService');
  }

  protected override async *streamCompletion(): AsyncIterable<LLMChunk> {
    yield { type: 'text', text: this.notice };
  }
}
