import { createResampler, type StreamingResampler } from '../../audio/resampler.ts';
import type { StartFrame } from '../../frames/frames.ts';
import type { FrameProcessorOptions } from '../../processors/frame-processor.ts';
import { type MetricLabels, metric } from '../metrics.ts';
import { type TTSAudioChunk, TTSService } from '../tts-service.ts';
import type { FailoverOptions } from './failover-chain.ts';
import { ServiceChain } from './service-chain.ts';

/** Options of {@link FailoverTTSService}. */
export interface FailoverTTSServiceOptions extends FailoverOptions, FrameProcessorOptions {}

/**
 * A TTS service made of an ordered chain of TTS services (the first preferred), e.g. Cartesia →
 * ElevenLabs → local. It is a `TTSService`: it takes the place of one in the pipeline and frames
 * each sentence (`tts_started`, `output_audio`…, `tts_stopped`). Each sentence goes to the first
 * healthy member, which applies its own `responseTimeoutMs` and `retry`:
 * - when its synthesis fails or times out before the first audio, the sentence is synthesized
 *   again by the next member (the `characters` metric is counted for that member too);
 * - when it fails mid-sentence, the sentence ends there (an `error` frame, as with a single
 *   service) and the next sentence goes to the next member;
 * - a failed member cools down (`cooldownMs`, doubling per consecutive failure up to
 *   `maxCooldownMs`), then the next sentence tries it again.
 * Every change of member is pushed downstream and upstream as a `service_switched` frame; a
 * configuration error does not move the sentence on (see {@link FailoverOptions.failOverOn}).
 * Audio comes out at the call's output rate: each member's is resampled when its rate differs.
 * Members are started (with the pipeline's start frame) when first used and never linked.
 *
 * @example
 * const tts = new FailoverTTSService([cartesiaTTS, new LocalTTSService()]);
 */
export class FailoverTTSService extends TTSService {
  private readonly members: ServiceChain<TTSService>;
  private readonly resamplers = new Map<number, StreamingResampler>();
  private startFrame: StartFrame | undefined;

  /**
   * @param services The chain, preferred first; each used by this service only.
   * @throws RangeError for an empty chain or bad cool-downs.
   */
  constructor(services: readonly TTSService[], options: FailoverTTSServiceOptions = {}) {
    // Members bound and retry their own syntheses; a bound here would cut a failover short.
    super(options.name ?? 'FailoverTTSService', { ...options, responseTimeoutMs: Infinity });
    this.members = new ServiceChain('tts', services, options, {
      push: (f, direction) => this.push(f, direction),
      now: () => this.clock.now(),
    });
  }

  /** The call's output rate: members' audio is resampled to it here. */
  get sampleRateHz(): number {
    return this.outputSampleRateHz;
  }

  /** The labels of the member serving the sentence in flight, else of the one the next sentence tries first. */
  override metricLabels(): MetricLabels {
    return this.members.labels();
  }

  protected override async onStart(f: StartFrame): Promise<void> {
    this.startFrame = f;
    await super.onStart(f);
  }

  protected override async onStop(): Promise<void> {
    super.onStop();
    for (const r of this.resamplers.values()) r.dispose();
    this.resamplers.clear();
    await this.members.stop();
  }

  protected override async *synthesize(text: string, signal: AbortSignal): AsyncIterable<TTSAudioChunk> {
    let lastError: unknown = new Error(`${this.name}: no TTS service of the chain can run`);
    let attempt = 0;
    for (const i of this.members.chain.order()) {
      const member = this.members.use(i);
      // The base counted the sentence for the first member; a re-synthesis is billed again.
      if (attempt++ > 0) this.push(metric(this.name, 'characters', text.length, 'chars', this.labels()));
      let resampler: StreamingResampler | undefined;
      let audible = false;
      try {
        await member.start(this.startFrame!);
        resampler = await this.resamplerFor(i);
        for await (const chunk of member.service.synthesizeChunks(text, signal)) {
          const audio = chunk instanceof Int16Array ? chunk : chunk.audio;
          const words = chunk instanceof Int16Array ? undefined : chunk.words;
          if (audio.length > 0 && !audible) {
            audible = true;
            this.members.chain.succeeded(i);
          }
          const out = resampler && audio.length > 0 ? resampler.process(audio) : audio;
          yield words ? { audio: out, words } : { audio: out };
        }
        const tail = resampler?.flush();
        if (tail && tail.length > 0) yield { audio: tail };
        return;
      } catch (e) {
        resampler?.flush(); // drop the unfinished sentence's filter state
        if (signal.aborted || !this.members.chain.shouldFailOver(e)) throw e;
        this.members.chain.failed(i, e);
        if (audible) throw e; // the caller heard part of it: the next sentence goes elsewhere
        lastError = e;
      }
    }
    throw lastError;
  }

  private labels() {
    return { service: 'tts' as const, ...this.metricLabels() };
  }

  /** Member `i`'s resampler to the output rate, made on first use; none when the rates match. */
  private async resamplerFor(i: number): Promise<StreamingResampler | undefined> {
    const from = this.members.member(i).service.sampleRateHz;
    if (from === this.outputSampleRateHz) return undefined;
    let r = this.resamplers.get(i);
    if (!r) {
      r = await createResampler(from, this.outputSampleRateHz);
      this.resamplers.set(i, r);
    }
    return r;
  }
}
