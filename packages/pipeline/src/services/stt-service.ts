import { type Frame, frame, type MetricsFrame, type ServiceKind, type StartFrame } from '../frames/frames.ts';
import {
  type Direction,
  FrameProcessor,
  type HandlerResult,
  type StopReason,
} from '../processors/frame-processor.ts';
import { type MetricLabels, metric } from './metrics.ts';

/**
 * Base class of streaming STT services. Caller audio (`input_audio`) is handed to
 * {@link sendAudio} and forwarded unchanged; the engine reports text through
 * {@link emitTranscript}, which pushes `transcription` (final) or `interim_transcription`
 * downstream. When the caller stops speaking (the VAD's `vad_user_stopped_speaking`, or a
 * `user_stopped_speaking` from a pipeline without a VAD; the first of them per utterance) it
 * calls {@link onUserStoppedSpeaking}. Metrics: `ttfb` = ms from that moment to the next final
 * transcript; `audio_seconds` (caller audio handed to the engine) per final transcript, and for
 * the rest when the service stops; both labelled with {@link metricLabels}.
 * Subclasses implement {@link connect}, {@link sendAudio} and {@link disconnect}.
 */
export abstract class STTService extends FrameProcessor {
  private stoppedSpeakingAt: number | undefined;
  /** `onUserStoppedSpeaking` ran since the caller last started speaking. */
  private stopReported = false;
  private audioSamples = 0;
  private audioRateHz = 8000;

  /** Open the engine for audio at `sampleRateHz`. Throwing makes the error fatal for the call. */
  protected abstract connect(sampleRateHz: number, signal: AbortSignal): Promise<void> | void;

  /**
   * Hand caller audio to the engine (must not block: buffer or drop, and report trouble with
   * `pushError` rather than throwing).
   *
   * @param pcm One `input_audio` frame's samples: signed 16-bit mono PCM at `sampleRateHz`
   *   (usually 20 ms). It is the frame's own array, forwarded downstream unchanged right after
   *   this call: it may be kept (it is not reused) but must not be mutated; copy it to change it.
   * @param sampleRateHz Sample rate of `pcm`, Hz; normally the rate given to {@link connect}.
   */
  protected abstract sendAudio(pcm: Int16Array, sampleRateHz: number): void;

  /** Release the engine. */
  protected abstract disconnect(): Promise<void> | void;

  /** Called once when the caller stops speaking (see the class doc); engines that support it may finalize early. */
  protected onUserStoppedSpeaking(): void {}

  protected override get serviceKind(): ServiceKind {
    return 'stt';
  }

  /**
   * The provider and model named on this service's metrics, for usage accounting (e.g.
   * `{ provider: 'deepgram', model: 'nova-3' }`). Default none: usage is then counted under the
   * processor's name. Vendor services override it.
   */
  metricLabels(): MetricLabels {
    return {};
  }

  protected override onStart(f: StartFrame): HandlerResult {
    this.audioRateHz = f.audio.inputSampleRateHz;
    return this.connect(f.audio.inputSampleRateHz, this.signal);
  }

  protected override onStop(_reason: StopReason): HandlerResult {
    // Audio after the last final transcript was streamed (and billed) too.
    this.reportAudioSeconds();
    return this.disconnect();
  }

  protected override processFrame(f: Frame, direction: Direction): HandlerResult {
    if (f.type === 'input_audio') {
      this.audioSamples += f.audio.length;
      this.sendAudio(f.audio, f.sampleRateHz);
    } else if (f.type === 'vad_user_started_speaking' || f.type === 'user_started_speaking') {
      this.stoppedSpeakingAt = undefined; // a transcript that beat the VAD must not time the next turn
      this.stopReported = false;
    } else if (f.type === 'vad_user_stopped_speaking' || f.type === 'user_stopped_speaking') {
      // The VAD's raw edge (the STT sits before the turn processor) or a turn edge from a
      // VAD-less source: whichever comes first, once per utterance.
      if (!this.stopReported) {
        this.stopReported = true;
        this.stoppedSpeakingAt = performance.now();
        this.onUserStoppedSpeaking();
      }
    }
    this.push(f, direction);
  }

  /**
   * Report recognized text. Ignored once the service stopped.
   * @param endOfUtterance For a final transcript: the engine's own endpointing judged that the
   *   caller finished the utterance (sets the frame's `endOfUtterance`, ending the turn at once).
   */
  protected emitTranscript(text: string, final: boolean, language?: string, endOfUtterance = false): void {
    if (!this.isRunning) return;
    const trimmed = text.trim();
    if (!trimmed) return;
    if (!final) {
      this.push(frame('interim_transcription', { text: trimmed }));
      return;
    }
    if (this.stoppedSpeakingAt !== undefined) {
      this.pushUsage('ttfb', performance.now() - this.stoppedSpeakingAt, 'ms');
      this.stoppedSpeakingAt = undefined;
    }
    this.pushUsage('audio_seconds', this.audioSamples / this.audioRateHz, 's');
    this.audioSamples = 0;
    this.push(
      frame('transcription', {
        text: trimmed,
        ...(language ? { language } : {}),
        ...(endOfUtterance ? { endOfUtterance } : {}),
      }),
    );
  }

  /** Reports the audio handed to the engine since the last report, if any. */
  private reportAudioSeconds(): void {
    if (this.audioSamples === 0) return;
    this.pushUsage('audio_seconds', this.audioSamples / this.audioRateHz, 's');
    this.audioSamples = 0;
  }

  private pushUsage(name: string, value: number, unit: MetricsFrame['unit']): void {
    this.push(metric(this.name, name, value, unit, { service: 'stt', ...this.metricLabels() }));
  }
}
