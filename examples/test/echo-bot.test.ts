import { once } from 'node:events';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pcmToBytes, readWav } from '@parley/pipeline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { type EchoBot, startEchoBot } from '../echo-bot/echo-bot.ts';
import { talkToEchoBot } from '../echo-bot/echo-client.ts';

const CLIP = path.resolve(import.meta.dirname, '../../test-fixtures/speech/8k/goforward.wav');

describe('the echo bot example', () => {
  let bot: EchoBot;

  beforeAll(async () => {
    bot = await startEchoBot();
  });

  afterAll(async () => {
    await bot?.close();
  });

  it('plays back what the caller said once they stop speaking', async () => {
    const clip = readWav(CLIP); // "go forward ten meters": speech from 0.46 s to 2.11 s of 2.79 s
    expect(clip.sampleRateHz).toBe(8000);
    const echo = await talkToEchoBot(bot.url, clip.pcm);

    // About the utterance's length: its 1.65 s of speech, plus pre-roll and the VAD's stop delay.
    const echoSecs = echo.length / 8000;
    expect(echoSecs).toBeGreaterThan(1.5);
    expect(echoSecs).toBeLessThan(3.5);
    // And it is the caller's own audio, sample for sample ("forward", mid-utterance).
    const probe = clip.pcm.subarray(Math.round(1.2 * 8000), Math.round(1.2 * 8000) + 160);
    expect(indexOf(echo, probe)).toBeGreaterThanOrEqual(0);
  }, 30_000);

  it('stops the echo when the caller talks over it', async () => {
    const clip = readWav(CLIP).pcm;
    const ws = new WebSocket(bot.url);
    await once(ws, 'open');
    const arrivals: number[] = []; // ms of each 20 ms message of echo
    ws.on('message', () => arrivals.push(performance.now()));
    const say = async (pcm: Int16Array) => {
      const begin = performance.now();
      for (let i = 0, n = 0; i < pcm.length; i += 160, n++) {
        ws.send(pcmToBytes(pcm.slice(i, i + 160)));
        const due = begin + (n + 1) * 20 - performance.now();
        if (due > 0) await sleep(due);
      }
    };
    const silence = (ms: number) => new Int16Array(8 * ms);

    await say(clip);
    while (arrivals.length === 0) await say(silence(100)); // until the echo starts playing
    await say(clip); // talk over it: speech starts 0.46 s into the clip
    await say(silence(3000)); // the second echo plays out
    ws.close();

    // Two runs of echo, split by the pause while the caller spoke; the first one cut short.
    const gapAt = arrivals.findIndex((t, i) => i > 0 && t - arrivals[i - 1]! > 300);
    expect(gapAt).toBeGreaterThan(0);
    const firstEchoMs = gapAt * 20;
    const secondEchoMs = (arrivals.length - gapAt) * 20;
    expect(secondEchoMs).toBeGreaterThan(1500); // the whole second utterance
    expect(firstEchoMs).toBeLessThan(secondEchoMs - 500); // the first, interrupted
  }, 30_000);
});

/** Index of `needle` in `haystack`, or -1. */
function indexOf(haystack: Int16Array, needle: Int16Array): number {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}
