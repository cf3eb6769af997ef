import { readFileSync } from 'node:fs';
import path from 'node:path';
import { FakeOpenAIServer } from '@parley/services/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFlowBot } from './flow-bot.ts';

describe('the flow bot example', () => {
  let llm: FakeOpenAIServer;

  beforeAll(async () => {
    llm = await FakeOpenAIServer.start();
  });

  afterAll(async () => {
    await llm?.close();
  });

  it('books a table through its three nodes and ends the session', async () => {
    const nodes: string[] = [];
    llm.reply({ text: 'Hello, Chez Parley! For how many, and when?' });
    const bot = await startFlowBot({
      llm: { apiKey: 'test', baseUrl: llm.url },
      onFlowEvent: (e) => e.type === 'node_entered' && nodes.push(e.node),
    });
    expect(await bot.reply()).toBe('Hello, Chez Parley! For how many, and when?');
    const greet = llm.lastRequest!;
    expect(greet.messages.map((m) => m.content)).toEqual([
      'You are Ada, who takes table bookings for Chez Parley by phone. Be brief.',
      'Greet the caller and ask for how many people and what time they want a table.',
    ]);
    expect(greet.tools?.map((t) => t.function.name)).toEqual(['opening_hours', 'set_booking']);

    // A global function answers in place.
    llm.reply({ toolCalls: [{ name: 'opening_hours' }] }, { text: 'We open at six.' });
    bot.say('When do you open?');
    expect(await bot.reply()).toBe('We open at six.');
    expect(bot.flow.currentNode?.name).toBe('greet');

    // set_booking moves to `confirm`, whose pre-action speaks before its first reply.
    llm.reply(
      { toolCalls: [{ name: 'set_booking', arguments: { partySize: 4, time: '19:30' } }] },
      { text: 'A table for 4 at 19:30, correct?' },
    );
    bot.say('Four of us at half past seven.');
    expect(await bot.reply()).toBe('A table for 4 at 19:30, correct?');
    expect(bot.flow.currentNode?.name).toBe('confirm');
    expect(bot.flow.state.booking).toEqual({ partySize: 4, time: '19:30' });
    expect(bot.transcript.slice(-2)).toEqual([
      'Let me check that table.',
      'A table for 4 at 19:30, correct?',
    ]);
    const confirm = llm.lastRequest!;
    expect(confirm.tools?.map((t) => t.function.name)).toEqual([
      'opening_hours',
      'confirm_booking',
      'change_booking',
    ]);
    // The node's task, then what the caller heard of its pre-action (text mode hears it at once).
    expect(confirm.messages.slice(-2).map((m) => m.content)).toEqual([
      'Read the booking back (a table for 4 at 19:30) and ask the caller to confirm.',
      'Let me check that table.',
    ]);

    // confirm_booking moves to `goodbye` (a reset context), which thanks and ends the call.
    llm.reply({ toolCalls: [{ name: 'confirm_booking' }] }, { text: 'Thank you, see you tonight.' });
    bot.say('Yes, that is right.');
    expect(await bot.reply()).toBe('Thank you, see you tonight.');
    expect(llm.lastRequest!.messages.map((m) => m.content)).toEqual([
      'You are Ada, who takes table bookings for Chez Parley by phone. Be brief.',
      'The table is booked (reference B-1042). Thank the caller in one sentence.',
    ]);
    await expect(bot.ended).resolves.toEqual({ how: 'end', reason: 'booking_done' });
    expect(bot.transcript.at(-1)).toBe('Goodbye!');
    expect(nodes).toEqual(['greet', 'confirm', 'goodbye']);
  });

  it('is the code the flows README shows', () => {
    const root = path.resolve(import.meta.dirname, '../..');
    const readme = readFileSync(path.join(root, 'packages/flows/README.md'), 'utf8');
    const shown = /<!-- snippet: examples\/flow-bot\/booking-flow\.ts#flow -->\n```ts\n([\s\S]*?)```/.exec(
      readme,
    );
    const source = readFileSync(path.join(root, 'examples/flow-bot/booking-flow.ts'), 'utf8');
    const region = /\/\/ #region flow\n([\s\S]*?)\/\/ #endregion flow/.exec(source);
    expect(shown?.[1]).toBe(region?.[1]);
  });
});
