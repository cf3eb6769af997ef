import type { ToolDefinition } from '../../context/llm-context.ts';
import type { LLMMessage, StartFrame } from '../../frames/frames.ts';
import type { HandlerResult } from '../../processors/frame-processor.ts';
import { type LLMChunk, LLMService, type LLMServiceOptions } from '../llm-service.ts';
import type { MetricLabels } from '../metrics.ts';
import type { FailoverOptions } from './failover-chain.ts';
import { ServiceChain } from './service-chain.ts';

/** Options of {@link FailoverLLMService}: the chain's, and the tool limits of `LLMService`. */
export interface FailoverLLMServiceOptions
  extends FailoverOptions,
    Pick<LLMServiceOptions, 'maxToolSteps' | 'functionTimeoutMs'> {}

/**
 * An LLM service made of an ordered chain of LLM services (the first preferred), e.g. OpenAI →
 * Gemini → Claude. It is an `LLMService`: it takes the place of one in the pipeline, runs the
 * function calls (register them here, not on the members) and pushes the response frames.
 * Each completion goes to the first healthy member, which applies its own `responseTimeoutMs`
 * and `retry`:
 * - when it fails or times out before its first chunk, the same request goes at once to the
 *   next member, so the turn is not lost: the caller just hears the answer;
 * - when it fails after part of the answer, the response ends as with a single service (an
 *   `error` frame, so an apology) and the next turn goes to the next member;
 * - a failed member cools down (`cooldownMs`, doubling per consecutive failure up to
 *   `maxCooldownMs`), then the next request tries it again: the chain goes back to it once it
 *   is healthy.
 * Every change of member is pushed downstream and upstream as a `service_switched` frame. A
 * configuration error (see {@link FailoverOptions.failOverOn}) does not move the request on.
 * Members are started (with the pipeline's start frame) when first used and never linked: their
 * metrics and errors come out of this service; its own `ttfb` and token metrics carry the
 * serving member's provider and model.
 *
 * @example
 * const llm = new FailoverLLMService([new OpenAILLMService(), new AnthropicLLMService()], { cooldownMs: 5000 });
 */
export class FailoverLLMService extends LLMService {
  private readonly members: ServiceChain<LLMService>;
  private startFrame: StartFrame | undefined;

  /**
   * @param services The chain, preferred first; each used by this service only.
   * @throws RangeError for an empty chain or bad cool-downs.
   */
  constructor(services: readonly LLMService[], options: FailoverLLMServiceOptions = {}) {
    // Members bound and retry their own requests; a bound here would cut a failover short.
    super(options.name ?? 'FailoverLLMService', { ...options, responseTimeoutMs: Infinity });
    this.members = new ServiceChain('llm', services, options, {
      push: (f, direction) => this.push(f, direction),
      now: () => this.clock.now(),
    });
  }

  /** The labels of the member serving the request in flight, else of the one the next request tries first. */
  override metricLabels(): MetricLabels {
    return this.members.labels();
  }

  protected override onStart(f: StartFrame): HandlerResult {
    this.startFrame = f;
  }

  protected override async onStop(): Promise<void> {
    super.onStop();
    await this.members.stop();
  }

  protected override async *streamCompletion(
    messages: LLMMessage[],
    tools: readonly ToolDefinition[],
    signal: AbortSignal,
  ): AsyncIterable<LLMChunk> {
    let lastError: unknown = new Error(`${this.name}: no LLM service of the chain can run`);
    for (const i of this.members.chain.order()) {
      const member = this.members.use(i);
      let chunks: AsyncIterator<LLMChunk> | undefined;
      let first: IteratorResult<LLMChunk>;
      try {
        await member.start(this.startFrame!);
        chunks = member.service.stream(messages, tools, signal)[Symbol.asyncIterator]();
        first = await chunks.next();
      } catch (e) {
        if (signal.aborted || !this.members.chain.shouldFailOver(e)) throw e;
        this.members.chain.failed(i, e); // before any output: the same request goes to the next member
        lastError = e;
        continue;
      }
      this.members.chain.succeeded(i);
      try {
        for (let r = first; !r.done; r = await chunks.next()) yield r.value;
      } catch (e) {
        // Part of the answer was said: this response fails, the next one goes elsewhere.
        if (!signal.aborted && this.members.chain.shouldFailOver(e)) this.members.chain.failed(i, e);
        throw e;
      } finally {
        await chunks.return?.();
      }
      return;
    }
    throw lastError;
  }
}
