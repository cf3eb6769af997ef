/**
 * AudioWorklet of the browser test call: turns the microphone (mono, at the context's rate) into
 * 16 kHz 16-bit PCM frames of 20 ms (320 samples) and posts each frame's ArrayBuffer to the
 * page. Each output sample is the mean of the input over its 1/16000 s window (a box filter, so
 * that down-sampling does not alias much).
 */
const OUT_RATE_HZ = 16000;
const FRAME_SAMPLES = 320;

class TestCallCapture extends AudioWorkletProcessor {
  constructor() {
    super();
    /** Input samples per output sample (3 at 48 kHz). */
    this.step = sampleRate / OUT_RATE_HZ;
    this.sum = 0;
    this.filled = 0;
    this.frame = new Int16Array(FRAME_SAMPLES);
    this.at = 0;
  }

  process(inputs) {
    const channel = inputs[0]?.[0];
    if (!channel) return true;
    for (let i = 0; i < channel.length; i++) {
      const x = channel[i];
      const room = this.step - this.filled;
      if (room > 1) {
        this.sum += x;
        this.filled += 1;
        continue;
      }
      // This input sample ends the window: its share `room` closes it, the rest opens the next.
      this.emit((this.sum + x * room) / this.step);
      this.sum = x * (1 - room);
      this.filled = 1 - room;
    }
    return true;
  }

  emit(value) {
    const clamped = Math.max(-1, Math.min(1, value));
    this.frame[this.at++] = Math.round(clamped * 32767);
    if (this.at === FRAME_SAMPLES) {
      this.port.postMessage(this.frame.buffer, [this.frame.buffer]);
      this.frame = new Int16Array(FRAME_SAMPLES);
      this.at = 0;
    }
  }
}

registerProcessor('testcall-capture', TestCallCapture);
