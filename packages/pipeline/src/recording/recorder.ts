import { WavFileWriter } from '../audio/wav-writer.ts';
import type { Frame, StartFrame } from '../frames/frames.ts';
import { type Direction, FrameProcessor, type HandlerResult } from '../processors/frame-processor.ts';

/** What {@link CallRecorder} wrote. */
export interface RecordingInfo {
  /** The WAV file written: the path given to the {@link CallRecorder} constructor. */
  readonly path: string;
  /** Length, ms. */
  readonly durationMs: number;
  /** Sample rate of the file, Hz: the start frame's input rate. */
  readonly sampleRateHz: number;
  /** 2: caller on the left channel, bot on the right. */
  readonly channels: 2;
}

interface BotChunk {
  /** Position of the first sample on the caller timeline, samples. */
  readonly pos: number;
  readonly samples: Int16Array;
}

/** Options of {@link CallRecorder}. */
export interface CallRecorderOptions {
  /**
   * How much audio may be written between two rewrites of the WAV header, ms (see
   * `WavFileWriterOptions.headerIntervalMs`): at most this much is missing from the header
   * of a recording whose process was killed. Default 5000.
   */
  readonly headerIntervalMs?: number;
}

/**
 * Records a call into one WAV, time-aligned, written to disk as the call goes (memory stays
 * flat however long the call). Place it after the output transport: it reads `input_audio`
 * (the caller, whose steady 20 ms frames are the clock) and the `output_audio` chunks the
 * transport sent (placed at the caller position when sent). Every frame passes through.
 *
 * Format: stereo, interleaved signed 16-bit little-endian PCM WAV at the start frame's input
 * sample rate; caller on the left channel, bot on the right, silence where one side is quiet.
 * Audio of another sample rate than the start frame's input rate is ignored. The header is
 * rewritten every `headerIntervalMs` of audio, so a crash leaves a playable file.
 *
 * Lifecycle, whatever order start, audio, end, cancel and {@link finish} come in: the file is
 * created (in the background, audio waiting in memory meanwhile) when the first audio
 * arrives, so a call that ends before any audio reached the recorder leaves no file and
 * {@link finish} resolves undefined ("no audio"). The first {@link finish} (which `end`,
 * `stop` and `cancel` call) closes the recording: audio after it is ignored and the file
 * handle is released once the writes queued before it are done.
 *
 * Errors: when the file cannot be created or written, a non-fatal `error` frame is pushed
 * upstream (once) and the call goes on; {@link finish} then rejects.
 */
export class CallRecorder extends FrameProcessor {
  private writer: WavFileWriter | undefined;
  private closed = false;
  private rateHz = 8000;
  private callerPos = 0;
  private botEnd = 0;
  private bot: BotChunk[] = [];
  /** Interleaved stereo of the frame being written, reused (grown when a frame is longer). */
  private scratch = new Int16Array(0);
  private result: Promise<RecordingInfo | undefined> | undefined;

  /**
   * @param path The WAV file to write, created (or truncated) at the first audio; missing
   *   parent folders are created.
   * @param options See {@link CallRecorderOptions}.
   */
  constructor(
    private readonly path: string,
    private readonly options: CallRecorderOptions = {},
  ) {
    super('CallRecorder');
  }

  protected override onStart(f: StartFrame): HandlerResult {
    // Synchronous: no starting window in which a cancel would find the recorder half open.
    this.rateHz = f.audio.inputSampleRateHz;
  }

  protected override processFrame(f: Frame, direction: Direction): HandlerResult {
    if (f.type === 'input_audio' && f.sampleRateHz === this.rateHz) this.writeCaller(f.audio);
    else if (f.type === 'output_audio' && direction === 'downstream' && f.sampleRateHz === this.rateHz) {
      this.addBot(f.audio);
    }
    this.push(f, direction);
  }

  protected override async onStop(): Promise<void> {
    // A failure was reported as an error frame when it happened; finish() still rejects with it.
    await this.finish().catch(() => undefined);
  }

  /**
   * Close the recording (once; later calls return the same promise). Resolves with what was
   * written, or undefined when no audio arrived (no file was created).
   *
   * @throws WavWriteError (as a rejection) when creating the file, a write, the header or the
   *   close failed.
   */
  finish(): Promise<RecordingInfo | undefined> {
    this.result ??= this.close();
    return this.result;
  }

  private close(): Promise<RecordingInfo | undefined> {
    this.closed = true;
    const writer = this.writer;
    this.writer = undefined;
    // Bot audio past the caller's last frame still goes in, against caller silence.
    if (writer && this.botEnd > this.callerPos) {
      this.writeFrames(new Int16Array(this.botEnd - this.callerPos), writer);
    }
    this.bot = [];
    this.scratch = new Int16Array(0);
    if (!writer) return Promise.resolve(undefined);
    const rateHz = this.rateHz;
    return writer.close().then((info) => ({
      path: info.path,
      durationMs: info.durationMs,
      sampleRateHz: rateHz,
      channels: 2 as const,
    }));
  }

  /** The writer, created at the first audio; undefined once the recording is closed. */
  private open(): WavFileWriter | undefined {
    if (this.closed) return undefined;
    this.writer ??= WavFileWriter.create(this.path, {
      sampleRateHz: this.rateHz,
      channels: 2,
      ...(this.options.headerIntervalMs !== undefined
        ? { headerIntervalMs: this.options.headerIntervalMs }
        : {}),
      onError: (e) => this.pushError(e), // a call without a recording beats no call
    });
    return this.writer;
  }

  private addBot(samples: Int16Array): void {
    if (!this.open()) return;
    const pos = Math.max(this.botEnd, this.callerPos);
    this.bot.push({ pos, samples });
    this.botEnd = pos + samples.length;
  }

  private writeCaller(samples: Int16Array): void {
    const writer = this.open();
    if (writer) this.writeFrames(samples, writer);
  }

  /**
   * Interleaves `caller` with the bot audio at the same positions and writes it. The stereo
   * goes through {@link scratch}, which `WavFileWriter.write` copies before returning.
   */
  private writeFrames(caller: Int16Array, writer: WavFileWriter): void {
    const n = caller.length;
    const start = this.callerPos;
    const end = start + n;
    if (this.scratch.length < n * 2) this.scratch = new Int16Array(n * 2);
    const out = this.scratch.subarray(0, n * 2);
    for (let i = 0; i < n; i++) {
      out[i * 2] = caller[i]!;
      out[i * 2 + 1] = 0;
    }
    while (this.bot.length > 0) {
      const chunk = this.bot[0]!;
      if (chunk.pos >= end) break;
      const from = Math.max(chunk.pos, start);
      const to = Math.min(chunk.pos + chunk.samples.length, end);
      for (let p = from; p < to; p++) out[(p - start) * 2 + 1] = chunk.samples[p - chunk.pos]!;
      if (chunk.pos + chunk.samples.length <= end) this.bot.shift();
      else break;
    }
    writer.write(out);
    this.callerPos = end;
  }
}
