import { afterEach, describe, expect, it, vi } from 'vitest';
import { VirtualClock } from '../src/clock/virtual-clock.ts';
import { LLMContext } from '../src/context/llm-context.ts';
import { type Frame, frame, type LLMMessage } from '../src/frames/frames.ts';
import { FunctionCallError } from '../src/functions/function-call-error.ts';
import type { FunctionCallContext } from '../src/functions/function-handler.ts';
import { FunctionResult } from '../src/functions/function-result.ts';
import { toolResultText } from '../src/functions/tool-result-text.ts';
import { type LLMChunk, LLMService, type LLMServiceOptions } from '../src/services/llm-service.ts';
import { ProcessorHarness } from '../src/testing/harness.ts';

/** An LLM that answers each run with the next scripted list of chunks ("Done." when the script is used up). */
class ScriptedLLM extends LLMService {
  /** The messages each run was given, in order. */
  readonly runs: LLMMessage[][] = [];

  constructor(
    private readonly script: LLMChunk[][],
    options?: LLMServiceOptions,
  ) {
    super('ScriptedLLM', options);
  }

  protected override async *streamCompletion(
    messages: LLMMessage[],
    _tools: unknown,
    signal: AbortSignal,
  ): AsyncIterable<LLMChunk> {
    this.runs.push(messages);
    const step = this.script.shift() ?? [{ type: 'text', text: 'Done.' }];
    for (const chunk of step) {
      await Promise.resolve();
      if (signal.aborted) return;
      yield chunk;
    }
  }
}

function toolCall(id: string, name: string, args: Record<string, unknown> = {}): LLMChunk {
  return {
    type: 'tool_call',
    call: { id, type: 'function', function: { name, arguments: JSON.stringify(args) } },
  };
}

const text = (t: string): LLMChunk => ({ type: 'text', text: t });

/** A promise with its resolve function outside. */
function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** A handler that never returns on its own; it records its signal. */
function hangingHandler(signals: AbortSignal[]) {
  return (_args: unknown, ctx: FunctionCallContext) => {
    signals.push(ctx.signal);
    return new Promise<never>(() => {});
  };
}

let harness: ProcessorHarness<ScriptedLLM> | undefined;

async function startLLM(llm: ScriptedLLM, clock = new VirtualClock()) {
  const h = new ProcessorHarness(llm);
  harness = h;
  h.send(
    frame('start', {
      audio: { inputSampleRateHz: 8000, outputSampleRateHz: 8000 },
      metadata: {},
      clock,
    }),
  );
  await h.waitFor('start');
  return { h, clock };
}

afterEach(() => {
  harness?.send(frame('cancel', { reason: 'test over' }));
  harness?.dispose();
  harness = undefined;
});

function conversation(): LLMContext {
  return new LLMContext([{ role: 'user', content: 'hello' }]);
}

function toolMessage(context: LLMContext, id: string): string | undefined {
  const m = context.messages.find((x) => x.role === 'tool' && x.tool_call_id === id);
  return m?.content ?? undefined;
}

/** Every announced call got one `function_call_in_progress` and exactly one result or cancel. */
function expectEveryCallEndedOnce(h: ProcessorHarness): void {
  const ids = h.ofType('function_calls_started').flatMap((f) => f.calls.map((c) => c.id));
  expect(ids.length).toBeGreaterThan(0);
  for (const id of ids) {
    const inProgress = h.ofType('function_call_in_progress').filter((f) => f.call.id === id);
    const results = h.ofType('function_call_result').filter((f) => f.toolCallId === id);
    const cancels = h.ofType('function_call_cancel').filter((f) => f.toolCallId === id);
    expect(inProgress, `in progress of ${id}`).toHaveLength(1);
    expect(results.length + cancels.length, `endings of ${id}`).toBe(1);
  }
}

const typesOf = (frames: readonly Frame[]) => frames.map((f) => f.type).filter((t) => t !== 'metrics');

describe('LLMService function calling', () => {
  it('pushes the calls’ lifecycle frames upstream too, for processors before the LLM', async () => {
    const llm = new ScriptedLLM([[toolCall('u', 'lookup')], [text('Found it.')]]);
    llm.registerFunction('lookup', async () => 'ok');
    const { h } = await startLLM(llm);
    h.send(frame('llm_context', { context: conversation() }));
    await h.waitFor('llm_response_end');
    const lifecycle = ['function_calls_started', 'function_call_in_progress', 'function_call_result'];
    expect(typesOf(h.upstream).filter((t) => t.startsWith('function_'))).toEqual(lifecycle);
    expect(typesOf(h.downstream).filter((t) => t.startsWith('function_'))).toEqual(lifecycle);
  });

  it('runs one response’s calls in parallel and the LLM once after the last result', async () => {
    const llm = new ScriptedLLM([
      [
        text('Let me check. '),
        toolCall('a', 'weather', { city: 'Paris' }),
        toolCall('b', 'weather', { city: 'Rome' }),
      ],
      [text('Both are warm.')],
    ]);
    const gates = new Map<string, ReturnType<typeof deferred<string>>>();
    llm.registerFunction('weather', ({ city }) => {
      const d = deferred<string>();
      gates.set(String(city), d);
      return d.promise;
    });
    const { h } = await startLLM(llm);
    const context = conversation();
    h.send(frame('llm_context', { context }));
    await h.waitFor('function_call_in_progress', { count: 2 });
    await new Promise((r) => setImmediate(r));
    expect([...gates.keys()]).toEqual(['Paris', 'Rome']); // both started before either ended

    gates.get('Rome')!.resolve('Rome: 24C');
    await h.waitFor('function_call_result');
    await new Promise((r) => setImmediate(r));
    expect(llm.runs).toHaveLength(1); // not after the first result
    gates.get('Paris')!.resolve('Paris: 21C');
    await h.waitFor('llm_response_end');

    expect(llm.runs).toHaveLength(2);
    expect(llm.runs[1]!.slice(-3)).toEqual([
      {
        role: 'assistant',
        content: null, // the spoken text arrives through the assistant aggregator, as heard
        tool_calls: [
          { id: 'a', type: 'function', function: { name: 'weather', arguments: '{"city":"Paris"}' } },
          { id: 'b', type: 'function', function: { name: 'weather', arguments: '{"city":"Rome"}' } },
        ],
      },
      { role: 'tool', tool_call_id: 'a', content: 'Paris: 21C' },
      { role: 'tool', tool_call_id: 'b', content: 'Rome: 24C' },
    ]);
    expect(typesOf(h.downstream)).toEqual([
      'start',
      'llm_response_start',
      'llm_text',
      'function_calls_started',
      'function_call_in_progress',
      'function_call_in_progress',
      'function_call_result',
      'function_call_result',
      'llm_text',
      'llm_response_end',
    ]);
    expect(h.ofType('function_call_result').map((f) => f.toolCallId)).toEqual(['b', 'a']);
    expect(h.ofType('function_call_in_progress').map((f) => f.cancelOnInterruption)).toEqual([true, true]);
    expect(h.ofType('function_calls_started')[0]!.calls.map((c) => c.id)).toEqual(['a', 'b']);
    expectEveryCallEndedOnce(h);
  });

  it('gives a synchronous handler’s value to the model as JSON', async () => {
    const llm = new ScriptedLLM([[toolCall('a', 'lookup')], [text('Found it.')]]);
    llm.registerFunction('lookup', () => ({ found: true, id: 7 }));
    const { h } = await startLLM(llm);
    const context = conversation();
    h.send(frame('llm_context', { context }));
    await h.waitFor('llm_response_end');
    expect(toolMessage(context, 'a')).toBe('{"found":true,"id":7}');
    expect(h.ofType('function_call_result')[0]!.result).toBe('{"found":true,"id":7}');
    expectEveryCallEndedOnce(h);
  });

  it('cancels a call at its time limit, tells the model so and runs the LLM once', async () => {
    const llm = new ScriptedLLM([[toolCall('slow', 'book'), toolCall('fast', 'quick')], [text('Sorry.')]]);
    const signals: AbortSignal[] = [];
    llm.registerFunction('book', hangingHandler(signals), { timeoutMs: 5000 });
    llm.registerFunction('quick', () => 'ok');
    const { h, clock } = await startLLM(llm);
    const context = conversation();
    h.send(frame('llm_context', { context }));
    await h.waitFor('function_call_result');

    await clock.advance(4999);
    expect(h.ofType('function_call_cancel')).toHaveLength(0);
    expect(toolMessage(context, 'slow')).toBe(toolResultText.inProgress);
    expect(llm.runs).toHaveLength(1);

    await clock.advance(1);
    await h.waitFor('llm_response_end');
    const cancel = h.ofType('function_call_cancel')[0]!;
    expect(cancel).toMatchObject({ toolCallId: 'slow', name: 'book', reason: 'timeout' });
    expect(signals[0]!.aborted).toBe(true);
    expect((signals[0]!.reason as Error).name).toBe('TimeoutError');
    expect(toolMessage(context, 'slow')).toBe('{"error":"timed out after 5 s and was cancelled"}');
    expect(llm.runs).toHaveLength(2);
    expect(llm.runs[1]!.at(-2)).toEqual({
      role: 'tool',
      tool_call_id: 'slow',
      content: toolMessage(context, 'slow'),
    });
    expect(h.ofType('function_call_result').map((f) => f.toolCallId)).toEqual(['fast']);
    expect(clock.pending).toBe(0);
    expectEveryCallEndedOnce(h);
  });

  it('uses the service’s default time limit and ignores a result that comes too late', async () => {
    const llm = new ScriptedLLM([[toolCall('a', 'slow')], [text('Sorry.')]], { functionTimeoutMs: 3000 });
    const late = deferred<string>();
    llm.registerFunction('slow', () => late.promise);
    const { h, clock } = await startLLM(llm);
    h.send(frame('llm_context', { context: conversation() }));
    await h.waitFor('function_call_in_progress');
    await clock.advance(3000);
    await h.waitFor('llm_response_end');
    late.resolve('too late');
    await clock.advance(0);

    expect(h.ofType('function_call_cancel')[0]!.reason).toBe('timeout');
    expect(h.ofType('function_call_result')).toHaveLength(0);
    expect(h.ofType('error', 'upstream')).toHaveLength(0);
    expectEveryCallEndedOnce(h);
  });

  it('gives the model a generic text when a handler throws, and us an error frame', async () => {
    const llm = new ScriptedLLM([
      [toolCall('a', 'charge'), toolCall('b', 'fail_async')],
      [text('That failed.')],
    ]);
    llm.registerFunction('charge', () => {
      throw new Error('card service password rejected');
    });
    llm.registerFunction('fail_async', async () => {
      throw new Error('timeout talking to CRM at 10.0.0.7');
    });
    const { h } = await startLLM(llm);
    const context = conversation();
    h.send(frame('llm_context', { context }));
    await h.waitFor('llm_response_end');

    for (const id of ['a', 'b']) expect(toolMessage(context, id)).toBe(toolResultText.failed);
    expect(JSON.stringify(llm.runs[1])).not.toMatch(/password|CRM/);
    const errors = h.ofType('error', 'upstream');
    expect(errors).toHaveLength(2);
    expect(errors.map((e) => e.fatal)).toEqual([false, false]);
    const cause = errors[0]!.cause as FunctionCallError;
    expect(cause).toBeInstanceOf(FunctionCallError);
    expect(cause).toMatchObject({ functionName: 'charge', toolCallId: 'a' });
    expect(errors[0]!.message).toMatch(/card service password rejected/);
    expect(llm.runs).toHaveLength(2);
    expectEveryCallEndedOnce(h);
  });

  it('answers an unknown tool at once with an error result', async () => {
    const llm = new ScriptedLLM([[toolCall('x', 'launch_rocket')], [text('I cannot.')]]);
    const { h } = await startLLM(llm);
    const context = conversation();
    h.send(frame('llm_context', { context }));
    await h.waitFor('llm_response_end');

    expect(h.ofType('function_call_result')[0]).toMatchObject({
      toolCallId: 'x',
      name: 'launch_rocket',
      result: '{"error":"unknown function: launch_rocket"}',
    });
    expect(toolMessage(context, 'x')).toBe('{"error":"unknown function: launch_rocket"}');
    expect(h.ofType('error', 'upstream')).toHaveLength(0);
    expect(llm.runs).toHaveLength(2);
    expectEveryCallEndedOnce(h);
  });

  it('does not run a handler on arguments that are not a JSON object', async () => {
    const llm = new ScriptedLLM([
      [
        {
          type: 'tool_call',
          call: { id: 'a', type: 'function', function: { name: 'f', arguments: '{"city":' } },
        },
      ],
      [text('Oops.')],
    ]);
    let ran = false;
    llm.registerFunction('f', () => {
      ran = true;
    });
    const { h } = await startLLM(llm);
    const context = conversation();
    h.send(frame('llm_context', { context }));
    await h.waitFor('llm_response_end');
    expect(ran).toBe(false);
    expect(toolMessage(context, 'a')).toBe(toolResultText.invalidArguments);
    expectEveryCallEndedOnce(h);
  });

  it('cancels a cancellable call when the caller interrupts: cancel frame, no result, no follow-up run', async () => {
    const llm = new ScriptedLLM([[toolCall('a', 'search')], [text('Never said.')]]);
    const signals: AbortSignal[] = [];
    llm.registerFunction('search', hangingHandler(signals));
    const { h, clock } = await startLLM(llm);
    const context = conversation();
    h.send(frame('llm_context', { context }));
    await h.waitFor('function_call_in_progress');

    h.send(frame('interruption'));
    await clock.advance(0);

    expect(h.ofType('function_call_cancel')).toEqual([
      expect.objectContaining({ toolCallId: 'a', name: 'search', reason: 'interruption' }),
    ]);
    const after = typesOf(h.downstream).slice(typesOf(h.downstream).indexOf('interruption'));
    expect(after).toEqual(['interruption', 'function_call_cancel']);
    expect(signals[0]!.aborted).toBe(true);
    expect(h.ofType('function_call_result')).toHaveLength(0);
    expect(toolMessage(context, 'a')).toBe(toolResultText.interrupted);
    expect(llm.runs).toHaveLength(1);
    expect(h.ofType('llm_response_end')).toHaveLength(0);
    expect(llm.activeFunctionCalls).toBe(0);
    expect(clock.pending).toBe(0); // its timer is gone
    expectEveryCallEndedOnce(h);
  });

  it('keeps a non-cancellable call running through an interruption without blocking the next turn', async () => {
    const llm = new ScriptedLLM([
      [toolCall('book', 'book_table'), toolCall('look', 'lookup')],
      [text('Still booking.')], // the next turn's run
    ]);
    const booking = deferred<string>();
    const lookupSignals: AbortSignal[] = [];
    let bookingSignal: AbortSignal | undefined;
    llm.registerFunction(
      'book_table',
      (_args, ctx) => {
        bookingSignal = ctx.signal;
        return booking.promise;
      },
      { cancelOnInterruption: false },
    );
    llm.registerFunction('lookup', hangingHandler(lookupSignals));
    const { h, clock } = await startLLM(llm);
    const context = conversation();
    h.send(frame('llm_context', { context }));
    await h.waitFor('function_call_in_progress', { count: 2 });
    const inProgress = h.ofType('function_call_in_progress');
    expect(inProgress.map((f) => [f.call.id, f.cancelOnInterruption, f.uninterruptible])).toEqual([
      ['book', false, true],
      ['look', true, false],
    ]);

    h.send(frame('interruption'));
    await clock.advance(0);
    expect(h.ofType('function_call_cancel').map((f) => f.toolCallId)).toEqual(['look']);
    expect(bookingSignal!.aborted).toBe(false);
    expect(llm.activeFunctionCalls).toBe(1);

    // The caller's next turn is answered while the booking still runs.
    context.add({ role: 'user', content: 'is it done?' });
    h.send(frame('llm_context', { context }));
    await h.waitFor('llm_response_end');
    expect(llm.runs).toHaveLength(2);
    expect(llm.runs[1]!).toContainEqual({
      role: 'tool',
      tool_call_id: 'book',
      content: toolResultText.inProgress,
    });

    booking.resolve('booked for 8 pm');
    await h.waitFor('function_call_result');
    expect(h.ofType('function_call_result')[0]).toMatchObject({
      toolCallId: 'book',
      result: 'booked for 8 pm',
    });
    expect(toolMessage(context, 'book')).toBe('booked for 8 pm');
    // The result sits right after the assistant's tool calls, where providers expect it.
    const i = context.messages.findIndex((m) => m.role === 'assistant' && m.tool_calls !== undefined);
    expect(context.messages[i + 1]).toEqual({
      role: 'tool',
      tool_call_id: 'book',
      content: 'booked for 8 pm',
    });
    await clock.advance(0);
    expect(llm.runs).toHaveLength(2); // a late result does not start a run of its own
    expect(h.ofType('llm_response_end')).toHaveLength(1);
    expect(llm.activeFunctionCalls).toBe(0);
    expectEveryCallEndedOnce(h);
  });

  it('still times out a non-cancellable call that outlived its turn', async () => {
    const llm = new ScriptedLLM([[toolCall('a', 'pay')]]);
    const signals: AbortSignal[] = [];
    llm.registerFunction('pay', hangingHandler(signals), { cancelOnInterruption: false, timeoutMs: 8000 });
    const { h, clock } = await startLLM(llm);
    const context = conversation();
    h.send(frame('llm_context', { context }));
    await h.waitFor('function_call_in_progress');
    h.send(frame('interruption'));
    await clock.advance(8000);
    expect(h.ofType('function_call_cancel')).toEqual([
      expect.objectContaining({ toolCallId: 'a', reason: 'timeout' }),
    ]);
    expect(signals[0]!.aborted).toBe(true);
    expect(llm.runs).toHaveLength(1);
    expectEveryCallEndedOnce(h);
  });

  it('stops running tools after maxToolSteps rounds and refuses further calls', async () => {
    const llm = new ScriptedLLM(
      [[toolCall('1', 'step')], [toolCall('2', 'step')], [text('One more. '), toolCall('3', 'step')]],
      { maxToolSteps: 2 },
    );
    let ran = 0;
    llm.registerFunction('step', () => {
      ran++;
      return 'ok';
    });
    const { h } = await startLLM(llm);
    const context = conversation();
    h.send(frame('llm_context', { context }));
    await h.waitFor('llm_response_end');
    expect(ran).toBe(2);
    expect(llm.runs).toHaveLength(3);
    expect(toolMessage(context, '3')).toBe(toolResultText.stepLimit);
    expect(h.ofType('llm_response_start')).toHaveLength(1);
    expectEveryCallEndedOnce(h);
  });

  it('cancels calls still running when the pipeline is cancelled', async () => {
    const llm = new ScriptedLLM([[toolCall('a', 'wait', {})]]);
    const signals: AbortSignal[] = [];
    llm.registerFunction('wait', hangingHandler(signals), { cancelOnInterruption: false });
    const { h, clock } = await startLLM(llm);
    h.send(frame('llm_context', { context: conversation() }));
    await h.waitFor('function_call_in_progress');
    h.send(frame('cancel', { reason: 'hang-up' }));
    await h.waitFor('cancel');
    expect(h.ofType('function_call_cancel')).toEqual([
      expect.objectContaining({ toolCallId: 'a', reason: 'cancel' }),
    ]);
    expect(signals[0]!.aborted).toBe(true);
    expect(clock.pending).toBe(0);
    expectEveryCallEndedOnce(h);
  });

  it('ends a group whose calls finish synchronously, and runs the LLM once per round', async () => {
    const llm = new ScriptedLLM([
      [toolCall('a', 'f'), toolCall('b', 'f'), toolCall('c', 'nope')],
      [text('Ok.')],
    ]);
    llm.registerFunction('f', (_args, ctx) => ctx.toolCallId);
    const { h } = await startLLM(llm);
    h.send(frame('llm_context', { context: conversation() }));
    await h.waitFor('llm_response_end');
    expect(llm.runs).toHaveLength(2);
    expect(h.ofType('function_call_result').map((f) => f.result)).toEqual([
      'a',
      'b',
      '{"error":"unknown function: nope"}',
    ]);
    expectEveryCallEndedOnce(h);
  });

  it('refuses a time limit that is not positive', () => {
    const llm = new ScriptedLLM([]);
    expect(() => llm.registerFunction('f', () => 1, { timeoutMs: 0 })).toThrow(RangeError);
  });

  it('skips the follow-up run when a result says runLlm: false, once the whole group has ended', async () => {
    const gate = deferred<void>();
    const llm = new ScriptedLLM([
      [toolCall('a', 'book'), toolCall('b', 'slow_lookup')],
      [text('Should not run.')],
    ]);
    llm.registerFunction('book', () => new FunctionResult({ booked: true }, { runLlm: false }));
    llm.registerFunction('slow_lookup', async () => {
      await gate.promise;
      return 'found';
    });
    const { h } = await startLLM(llm);
    const context = conversation();
    h.send(frame('llm_context', { context }));
    await h.waitFor('function_call_result');
    // The group is not over while the other call runs.
    expect(h.ofType('llm_response_end')).toHaveLength(0);
    gate.resolve();
    await h.waitFor('llm_response_end');
    expect(llm.runs).toHaveLength(1);
    expect(toolMessage(context, 'a')).toBe('{"booked":true}');
    expect(toolMessage(context, 'b')).toBe('found');
    expect(h.ofType('function_call_result').map((f) => f.result)).toEqual(['{"booked":true}', 'found']);
    // The next turn runs the LLM as usual, with the results in its context.
    context.add({ role: 'user', content: 'thanks' });
    h.send(frame('llm_context', { context }));
    await h.waitFor('llm_response_end', { count: 2 });
    expect(llm.runs).toHaveLength(2);
    expect(h.ofType('llm_text').map((f) => f.text)).toEqual(['Should not run.']);
  });

  it('runs the LLM after a FunctionResult that keeps runLlm', async () => {
    const llm = new ScriptedLLM([[toolCall('a', 'book')], [text('Booked.')]]);
    llm.registerFunction('book', () => new FunctionResult('ok'));
    const { h } = await startLLM(llm);
    h.send(frame('llm_context', { context: conversation() }));
    await h.waitFor('llm_response_end');
    expect(llm.runs).toHaveLength(2);
    expect(h.ofType('function_call_result')[0]!.result).toBe('ok');
  });
});

describe('LLMService context frames', () => {
  it('applies append, replace and set-tools frames in queue order, behind the response in progress', async () => {
    const gate = deferred<void>();
    const llm = new ScriptedLLM([[toolCall('a', 'wait')], [text('First answer.')], [text('Second answer.')]]);
    llm.registerFunction('wait', async () => {
      await gate.promise;
      return 'done';
    });
    const { h } = await startLLM(llm);
    const context = conversation();
    h.send(frame('llm_context', { context }));
    await h.waitFor('function_call_in_progress');
    const tool = { name: 'book', description: 'Book it.', parameters: { type: 'object', properties: {} } };
    h.send(frame('llm_set_tools', { tools: [tool] }));
    h.send(frame('llm_messages_append', { messages: [{ role: 'system', content: 'Now confirm.' }] }));
    // Queued behind the response: the context is untouched while it runs.
    expect(context.tools).toEqual([]);
    expect(context.messages.some((m) => m.content === 'Now confirm.')).toBe(false);
    gate.resolve();
    await h.waitFor('llm_response_end');
    expect(llm.runs[1]!.some((m) => m.content === 'Now confirm.')).toBe(false);
    await vi.waitFor(() => expect(context.tools.map((t) => t.name)).toEqual(['book']));
    expect(context.messages.at(-1)).toEqual({ role: 'system', content: 'Now confirm.' });
    expect(llm.runs).toHaveLength(2); // no runLlm: no response

    h.send(
      frame('llm_messages_replace', { messages: [{ role: 'system', content: 'Start over.' }], runLlm: true }),
    );
    await h.waitFor('llm_response_end', { count: 2 });
    expect(llm.runs[2]).toEqual([{ role: 'system', content: 'Start over.' }]);
    expect(context.messages).toEqual([{ role: 'system', content: 'Start over.' }]);
    expect(context.tools.map((t) => t.name)).toEqual(['book']);
    // Consumed, not passed on.
    expect(h.ofType('llm_messages_replace')).toHaveLength(0);
  });

  it('answers an append with runLlm on a context set before any turn', async () => {
    const llm = new ScriptedLLM([[text('Hello!')]]);
    const { h } = await startLLM(llm);
    const context = new LLMContext();
    llm.setContext(context);
    h.send(frame('llm_messages_append', { messages: [{ role: 'system', content: 'Greet.' }], runLlm: true }));
    await h.waitFor('llm_response_end');
    expect(llm.runs[0]).toEqual([{ role: 'system', content: 'Greet.' }]);
    expect(llm.context).toBe(context);
  });

  it('drops a context frame that comes before any context, with an error frame', async () => {
    const llm = new ScriptedLLM([]);
    const { h } = await startLLM(llm);
    h.send(frame('llm_messages_append', { messages: [{ role: 'user', content: 'hi' }], runLlm: true }));
    await h.waitFor('error', { side: 'upstream' });
    expect(h.ofType('error', 'upstream')[0]).toMatchObject({ fatal: false, source: 'ScriptedLLM' });
    expect(h.ofType('error', 'upstream')[0]!.service).toBeUndefined();
    expect(llm.runs).toHaveLength(0);
  });
});
