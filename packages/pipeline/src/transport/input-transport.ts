import { type Frame, frame } from '../frames/frames.ts';
import { FrameProcessor } from '../processors/frame-processor.ts';

/**
 * The pipeline's entry for a transport: the socket side calls {@link pushAudio} and
 * {@link pushFrame}; frames go downstream once the pipeline started (earlier ones are dropped).
 */
export class InputTransport extends FrameProcessor {
  constructor(name = 'InputTransport') {
    super(name);
  }

  /** Push caller audio: 16-bit mono PCM at `sampleRateHz`. */
  pushAudio(audio: Int16Array, sampleRateHz: number): void {
    if (this.isRunning) this.push(frame('input_audio', { audio, sampleRateHz, channels: 1 }));
  }

  /** Push any frame from the transport (a DTMF key, a mark echo, …) downstream. */
  pushFrame(f: Frame): void {
    if (this.isRunning) this.push(f);
  }
}
