/**
 * Callers whose phone acknowledges only the playback marks a test allows: the provider's echo of
 * a mark (Twilio and Exotel `mark`, Vobiz `playedStream` for a `checkpoint`) is what tells the
 * server which words the caller heard, so a barge-in test decides exactly which words count.
 */
import { type ReceivedMessage, stringAt } from '../../src/tools/call-simulator.ts';
import { ExotelCallSimulator } from '../../src/tools/exotel-call-simulator.ts';
import { TwilioCallSimulator } from '../../src/tools/twilio-call-simulator.ts';
import { VobizCallSimulator } from '../../src/tools/vobiz-call-simulator.ts';
import { type AnsweredCall, answerExotel, answerTwilio, answerVobiz } from './answer.ts';
import type { TestServer } from './server.ts';

/** An acknowledgement the phone sent: the mark's name and when, ms since the simulator connected. */
export interface SentAck {
  readonly name: string;
  readonly atMs: number;
}

/** A word mark's name, `<segment>@<generation>.<word>` (see the pipeline's output transport). */
export const WORD_MARK = /^(.*)@(\d+)\.(\d+)$/;

/**
 * Which marks a phone takes (and so acknowledges once their audio played) and which it holds
 * back. Until {@link ackWords} it takes all; after it, the next `n` word marks and nothing
 * else, until the provider's buffer is cleared ({@link cleared}).
 */
export class AckGate {
  /** Acknowledgements sent, in order. */
  readonly sent: SentAck[] = [];
  private budget: number | undefined;
  private held: string[] = [];

  /** Take the next `n` word marks, hold every mark after them. */
  ackWords(n: number): void {
    this.budget = n;
  }

  /** Whether the phone takes mark `name` (else it is held: never acknowledged as played). */
  admit(name: string): boolean {
    if (this.budget === undefined) return true;
    if (this.budget > 0 && WORD_MARK.test(name)) {
      this.budget--;
      return true;
    }
    this.held.push(name);
    return false;
  }

  /** The buffer was cleared: take marks again; returns the held ones (cleared with the audio). */
  cleared(): string[] {
    this.budget = undefined;
    return this.held.splice(0);
  }

  /** Note an acknowledgement the phone sends. */
  record(name: string, atMs: number): void {
    this.sent.push({ name, atMs });
  }
}

/** A simulator with an {@link AckGate}. */
export interface AckGated {
  readonly gate: AckGate;
}

/** Twilio: held marks are echoed when the buffer is cleared, as Twilio echoes every pending mark then. */
export class AckGatedTwilioCaller extends TwilioCallSimulator implements AckGated {
  readonly gate = new AckGate();

  protected override onServerMessage(m: ReceivedMessage): void {
    if (m.event === 'mark' && !this.gate.admit(stringAt(m.raw, 'mark', 'name') ?? '')) return;
    super.onServerMessage(m);
    if (m.event !== 'clear') return;
    for (const name of this.gate.cleared())
      super.onServerMessage({ ...m, event: 'mark', raw: { mark: { name } } });
  }

  protected override sendJson(msg: Record<string, unknown>): void {
    if (msg.event === 'mark') this.gate.record(stringAt(msg, 'mark', 'name') ?? '', this.now());
    super.sendJson(msg);
  }
}

/** Exotel: held marks are dropped at a clear, as the simulator drops pending ones. */
export class AckGatedExotelCaller extends ExotelCallSimulator implements AckGated {
  readonly gate = new AckGate();

  protected override onServerMessage(m: ReceivedMessage): void {
    if (m.event === 'mark' && !this.gate.admit(stringAt(m.raw, 'mark', 'name') ?? '')) return;
    if (m.event === 'clear') this.gate.cleared();
    super.onServerMessage(m);
  }

  protected override sendJson(msg: Record<string, unknown>): void {
    if (msg.event === 'mark') this.gate.record(stringAt(msg, 'mark', 'name') ?? '', this.now());
    super.sendJson(msg);
  }
}

/** Vobiz: held checkpoints are never answered (Vobiz answers none for cleared audio). */
export class AckGatedVobizCaller extends VobizCallSimulator implements AckGated {
  readonly gate = new AckGate();

  protected override onServerMessage(m: ReceivedMessage): void {
    if (m.event === 'checkpoint' && !this.gate.admit(stringAt(m.raw, 'name') ?? '')) return;
    if (m.event === 'clearAudio') this.gate.cleared();
    super.onServerMessage(m);
  }

  protected override sendJson(msg: Record<string, unknown>): void {
    if (msg.event === 'playedStream') this.gate.record(stringAt(msg, 'name') ?? '', this.now());
    super.sendJson(msg);
  }
}

/** A gated Twilio caller of `agent`, answered by the server's voice webhook first (not connected yet). */
export async function dialGatedTwilio(server: TestServer, agent: string): Promise<AckGatedTwilioCaller> {
  const answered: AnsweredCall = await answerTwilio(server, agent);
  return new AckGatedTwilioCaller({
    url: answered.url,
    customParameters: answered.customParameters,
    callSid: answered.providerCallId,
  });
}

/** A gated Exotel caller of `agent` (8 kHz), answered by the Voicebot applet's dynamic URL first. */
export async function dialGatedExotel(server: TestServer, agent: string): Promise<AckGatedExotelCaller> {
  const answered = await answerExotel(server, agent);
  return new AckGatedExotelCaller({
    url: answered.url,
    customParameters: answered.customParameters,
    callSid: answered.providerCallId,
  });
}

/** A gated Vobiz caller of `agent` (µ-law, 8 kHz), answered by the server's `answer_url` first. */
export async function dialGatedVobiz(server: TestServer, agent: string): Promise<AckGatedVobizCaller> {
  const answered = await answerVobiz(server, agent);
  return new AckGatedVobizCaller({ url: answered.url, callId: answered.providerCallId });
}
