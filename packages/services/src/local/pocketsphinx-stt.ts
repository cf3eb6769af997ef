import path from 'node:path';
import { type MetricLabels, STTService } from '@parley/pipeline';
import { assertPocketsphinxInstalled } from './engine-check.ts';
import { DEBIAN_MODEL_DIR, defaultModelCacheDir, ensureEightKhzModel } from './pocketsphinx-model.ts';
import { PocketsphinxProcess } from './pocketsphinx-process.ts';

/** Options of {@link LocalSTTService}. */
export interface LocalSTTServiceOptions {
  /**
   * Silence that ends an utterance, in 10 ms frames (`-vad_postspeech`). Default 25
   * (pocketsphinx's own default is 50). Lower is faster but may split sentences at pauses.
   */
  readonly vadPostspeechFrames?: number;
  /**
   * Speech/noise decision threshold of pocketsphinx's VAD (`-vad_threshold`, log ratio of
   * signal to tracked noise). Default 2.0 (pocketsphinx's). 3.0 ended the first utterance of a
   * call on a noisy line 1 s sooner in our runs, but clipped words on very noisy audio.
   */
  readonly vadThreshold?: number;
  /**
   * When the pipeline's VAD reports `user_stopped_speaking`, feed pocketsphinx enough quiet
   * audio (the last 100 ms of the call at half amplitude) to end its utterance at once instead
   * of waiting for real-time silence. Default true.
   */
  readonly finalizeOnUserStoppedSpeaking?: boolean;
  /** Where the 8 kHz model is assembled. Default `<DATA_DIR or .data>/models/en-us-8k` under the cwd. */
  readonly modelCacheDir?: string;
  /** Language model. Default Debian's `/usr/share/pocketsphinx/model/en-us/en-us.lm.bin`. */
  readonly languageModelPath?: string;
  /** Dictionary. Default Debian's `/usr/share/pocketsphinx/model/en-us/cmudict-en-us.dict`. */
  readonly dictionaryPath?: string;
  /** The binary, a name on `PATH` or a path. Default `pocketsphinx_continuous`. */
  readonly command?: string;
  /** More `pocketsphinx_continuous` arguments, e.g. `['-jsgf', 'menu.gram']` for grammar mode. */
  readonly extraArgs?: readonly string[];
  /** Audio the decoder may fall behind by before new audio is dropped, ms. Default 5000. */
  readonly maxBacklogMs?: number;
  /** Processor name in errors and metrics. Default `'LocalSTTService'`. */
  readonly name?: string;
}

/** pocketsphinx 5prealpha reads its input 2048 samples at a time. */
const READ_BLOCK_SAMPLES = 2048;

/**
 * Offline speech recognition with CMU pocketsphinx (Debian `pocketsphinx` 0.8+5prealpha,
 * https://cmusphinx.github.io/wiki/tutorialpocketsphinx/), one `pocketsphinx_continuous`
 * process per call, decoding with the 8 kHz PTM acoustic model from the `soundswallower`
 * npm package and Debian's US English trigram LM (about 30% word error rate on phone audio:
 * demo quality).
 *
 * Input: `input_audio` frames of signed 16-bit mono PCM at 8000 Hz (or 16000 Hz; the model's
 * filterbank stops at 3.7 kHz), written to the process without blocking. The process segments
 * speech with its own VAD; each utterance becomes a final `transcription` frame (no interims).
 * Latency from the end of speech to the transcript is about 0.5–0.7 s with the default
 * `vadPostspeechFrames` of 25.
 *
 * Errors: `connect` (the start frame) throws `LocalEngineUnavailableError` when
 * `pocketsphinx_continuous` or Debian's model files are missing (fix:
 * `apt-get install pocketsphinx pocketsphinx-en-us`) and a `RangeError` for input rates other
 * than 8000/16000 Hz; a process that dies mid-call becomes a fatal error frame
 * (`LocalEngineError`). Stopping the service kills the process group.
 *
 * @example
 * const stt = new LocalSTTService({ vadPostspeechFrames: 25 });
 */
export class LocalSTTService extends STTService {
  private readonly options: LocalSTTServiceOptions;
  private readonly postspeechFrames: number;
  private process: PocketsphinxProcess | undefined;
  private sampleRateHz = 8000;
  /** The last 100 ms of audio, replayed quietly to finalize an utterance. */
  private recent = new Int16Array(800);
  private recentPos = 0;
  private backlogReported = false;
  private maxBacklogBytes = 80_000;

  /** Metrics name the vendor and model (for usage and cost). */
  override metricLabels(): MetricLabels {
    return { provider: 'local', model: 'pocketsphinx' };
  }

  constructor(options: LocalSTTServiceOptions = {}) {
    super(options.name ?? 'LocalSTTService');
    this.options = options;
    this.postspeechFrames = options.vadPostspeechFrames ?? 25;
  }

  protected override async connect(sampleRateHz: number, signal: AbortSignal): Promise<void> {
    if (sampleRateHz !== 8000 && sampleRateHz !== 16000) {
      throw new RangeError(`LocalSTTService takes 8000 or 16000 Hz audio, not ${sampleRateHz} Hz`);
    }
    const o = this.options;
    const languageModelPath = o.languageModelPath ?? path.join(DEBIAN_MODEL_DIR, 'en-us.lm.bin');
    const dictionaryPath = o.dictionaryPath ?? path.join(DEBIAN_MODEL_DIR, 'cmudict-en-us.dict');
    const binary = await assertPocketsphinxInstalled({
      ...(o.command ? { command: o.command } : {}),
      languageModelPath,
      dictionaryPath,
    });
    const modelDir = await ensureEightKhzModel(o.modelCacheDir ?? defaultModelCacheDir());
    signal.throwIfAborted();
    this.sampleRateHz = sampleRateHz;
    this.maxBacklogBytes = ((o.maxBacklogMs ?? 5000) * sampleRateHz * 2) / 1000;
    this.recent = new Int16Array(sampleRateHz / 10);
    this.recentPos = 0;
    this.process = new PocketsphinxProcess(
      {
        binary,
        modelDir,
        languageModelPath,
        dictionaryPath,
        sampleRateHz,
        vadPostspeechFrames: this.postspeechFrames,
        extraArgs: [
          ...(o.vadThreshold !== undefined ? ['-vad_threshold', String(o.vadThreshold)] : []),
          ...(o.extraArgs ?? []),
        ],
      },
      {
        onUtterance: (text) => this.emitTranscript(text, true),
        onFailure: (error) => this.pushError(error, true),
      },
    );
  }

  protected override sendAudio(pcm: Int16Array): void {
    const proc = this.process;
    if (!proc?.isAlive) return;
    if (proc.bufferedBytes > this.maxBacklogBytes) {
      if (!this.backlogReported) {
        this.backlogReported = true;
        this.pushError(new Error('pocketsphinx is falling behind real time; dropping caller audio'));
      }
      return;
    }
    this.backlogReported = false;
    proc.write(pcm);
    this.remember(pcm);
  }

  protected override onUserStoppedSpeaking(): void {
    if (this.options.finalizeOnUserStoppedSpeaking === false || !this.process?.isAlive) return;
    // Enough quiet audio for pocketsphinx's VAD to count `postspeech` silent frames and for its
    // 2048-sample read to complete. Half amplitude is below the noise floor it tracks, and the
    // line's own noise coming back afterwards is not mistaken for speech.
    const samples =
      (this.postspeechFrames * this.sampleRateHz) / 100 + READ_BLOCK_SAMPLES + this.sampleRateHz / 10;
    const quiet = new Int16Array(samples);
    const ring = this.recent;
    for (let i = 0; i < samples; i++) quiet[i] = ring[(this.recentPos + i) % ring.length]! >> 1;
    this.process.write(quiet);
  }

  protected override async disconnect(): Promise<void> {
    const proc = this.process;
    this.process = undefined;
    await proc?.close();
  }

  private remember(pcm: Int16Array): void {
    const ring = this.recent;
    let pos = this.recentPos;
    for (let i = 0; i < pcm.length; i++) {
      ring[pos] = pcm[i]!;
      if (++pos === ring.length) pos = 0;
    }
    this.recentPos = pos;
  }
}
