/**
 * The audio of one synthesis as the socket delivers it, read by one consumer: chunks are queued
 * until read; the producer ends it, or fails it with an error the reader then throws.
 */
export class AudioQueue {
  private readonly chunks: Int16Array[] = [];
  private ended = false;
  private failure: { error: unknown } | undefined;
  private wake: (() => void) | undefined;

  push(pcm: Int16Array): void {
    if (this.ended || this.failure) return;
    this.chunks.push(pcm);
    this.notify();
  }

  /** No more audio: the reader returns once it read what is queued. */
  end(): void {
    this.ended = true;
    this.notify();
  }

  /** The synthesis failed: the reader throws `error` once it read what is queued. */
  fail(error: unknown): void {
    if (this.ended || this.failure) return;
    this.failure = { error };
    this.notify();
  }

  /** The chunks in order until the end; returns quietly as soon as `signal` aborts. */
  async *read(signal: AbortSignal): AsyncGenerator<Int16Array> {
    for (;;) {
      if (signal.aborted) return;
      const chunk = this.chunks.shift();
      if (chunk) {
        yield chunk;
        continue;
      }
      if (this.failure) throw this.failure.error;
      if (this.ended) return;
      await new Promise<void>((resolve) => {
        const done = () => {
          signal.removeEventListener('abort', done);
          resolve();
        };
        this.wake = done;
        signal.addEventListener('abort', done, { once: true });
      });
    }
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}
