import { STTService, TTSService } from '@parley/pipeline';

/** Options of {@link FakeSTTService}. */
export interface FakeSTTServiceOptions {
  /** Texts to emit, one each time the caller stops speaking, in order; when used up, nothing more is emitted. */
  readonly transcripts?: readonly string[];
  /** Delay between the caller stopping and the transcript, ms (the STT latency). Default 100. */
  readonly delayMs?: number;
  /** Processor name. Default `'FakeSTTService'`. */
  readonly name?: string;
}

/**
 * An STT service for tests and benchmarks that "recognizes" scripted text: each time the caller
 * stops speaking (`vad_user_stopped_speaking` or `user_stopped_speaking`, once per utterance) it emits the next scripted transcript as a final `transcription`
 * frame after `delayMs` (so the base class's `ttfb` metric equals that delay). Audio is counted
 * ({@link receivedSamples}) and otherwise ignored. {@link say} emits a text at once.
 */
export class FakeSTTService extends STTService {
  /** Caller audio received, in samples. */
  receivedSamples = 0;
  private readonly script: string[];
  private readonly delayMs: number;
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(options: FakeSTTServiceOptions = {}) {
    super(options.name ?? 'FakeSTTService');
    this.script = [...(options.transcripts ?? [])];
    this.delayMs = options.delayMs ?? 100;
  }

  /** Add texts to the end of the script. */
  queueTranscripts(...texts: string[]): void {
    this.script.push(...texts);
  }

  /** Emit `text` as a final transcript now. */
  say(text: string): void {
    this.emitTranscript(text, true);
  }

  protected override connect(): void {}

  protected override sendAudio(pcm: Int16Array): void {
    this.receivedSamples += pcm.length;
  }

  protected override onUserStoppedSpeaking(): void {
    const text = this.script.shift();
    if (text === undefined) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.emitTranscript(text, true);
    }, this.delayMs);
    this.timers.add(timer);
  }

  protected override disconnect(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }
}

/** Options of {@link FakeTTSService}. */
export interface FakeTTSServiceOptions {
  /** Output rate, Hz. Default 8000. */
  readonly sampleRateHz?: number;
  /** Audio length per character of text, ms. Default 60. */
  readonly msPerChar?: number;
  /** Chunk length, ms. Default 20. */
  readonly chunkMs?: number;
  /** Delay before the first chunk (the synthesis latency), ms. Default 0. */
  readonly firstChunkDelayMs?: number;
  /** Tone frequency, Hz; 0 yields silence. Default 440. */
  readonly toneHz?: number;
  /** Peak amplitude of the tone (signed 16-bit). Default 3000. */
  readonly amplitude?: number;
  /** Processor name. Default `'FakeTTSService'`. */
  readonly name?: string;
}

/**
 * A TTS service for tests and benchmarks: each sentence becomes a deterministic sine tone (or
 * silence) of `msPerChar` × characters, yielded as signed 16-bit mono chunks of `chunkMs` at
 * `sampleRateHz`, after an optional `firstChunkDelayMs`. An abort stops it between chunks.
 * {@link spoken} records every text it was asked to speak.
 */
export class FakeTTSService extends TTSService {
  /** Output rate, Hz. */
  readonly sampleRateHz: number;
  /** Texts synthesized, in order (including ones cut short by an interruption). */
  readonly spoken: string[] = [];
  private readonly msPerChar: number;
  private readonly chunkSamples: number;
  private readonly firstChunkDelayMs: number;
  private readonly toneHz: number;
  private readonly amplitude: number;

  constructor(options: FakeTTSServiceOptions = {}) {
    super(options.name ?? 'FakeTTSService');
    this.sampleRateHz = options.sampleRateHz ?? 8000;
    this.msPerChar = options.msPerChar ?? 60;
    this.chunkSamples = Math.max(1, Math.round(((options.chunkMs ?? 20) * this.sampleRateHz) / 1000));
    this.firstChunkDelayMs = options.firstChunkDelayMs ?? 0;
    this.toneHz = options.toneHz ?? 440;
    this.amplitude = options.amplitude ?? 3000;
  }

  /** Samples the fake yields for `text`. */
  samplesFor(text: string): number {
    return Math.round((text.length * this.msPerChar * this.sampleRateHz) / 1000);
  }

  protected override async *synthesize(text: string, signal: AbortSignal): AsyncIterable<Int16Array> {
    this.spoken.push(text);
    if (this.firstChunkDelayMs > 0) await delay(this.firstChunkDelayMs, signal);
    const total = this.samplesFor(text);
    const pcm = new Int16Array(total);
    if (this.toneHz > 0) {
      const step = (2 * Math.PI * this.toneHz) / this.sampleRateHz;
      for (let i = 0; i < total; i++) pcm[i] = Math.round(this.amplitude * Math.sin(step * i));
    }
    for (let offset = 0; offset < total; offset += this.chunkSamples) {
      if (signal.aborted) return;
      yield pcm.subarray(offset, offset + this.chunkSamples);
    }
  }
}

/** Resolve after `ms`, or reject with an AbortError when `signal` aborts first. */
function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(new DOMException('aborted', 'AbortError'));
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(new DOMException('aborted', 'AbortError'));
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
