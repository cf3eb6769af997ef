/**
 * Caller audio kept while a streaming socket reconnects: 16-bit PCM chunks, at most
 * `maxSamples` in total; beyond that the oldest chunks are dropped (the newest speech matters
 * most for the turn in progress).
 */
export class AudioBacklog {
  private chunks: Int16Array[] = [];
  private samples = 0;
  private dropped = false;

  /** @param maxSamples Samples kept at most (rate × seconds). */
  constructor(private readonly maxSamples: number) {}

  /**
   * Keep `pcm` (not copied: input frames are not reused).
   * @returns true the first time audio is dropped since the last {@link drain} or {@link clear}.
   */
  push(pcm: Int16Array): boolean {
    this.chunks.push(pcm);
    this.samples += pcm.length;
    let droppedNow = false;
    while (this.samples > this.maxSamples && this.chunks.length > 0) {
      this.samples -= this.chunks.shift()?.length ?? 0;
      droppedNow = true;
    }
    if (!droppedNow || this.dropped) return false;
    this.dropped = true;
    return true;
  }

  /** The kept chunks, oldest first; empties the backlog. */
  drain(): Int16Array[] {
    const chunks = this.chunks;
    this.clear();
    return chunks;
  }

  /** Forget the kept audio. */
  clear(): void {
    this.chunks = [];
    this.samples = 0;
    this.dropped = false;
  }
}
