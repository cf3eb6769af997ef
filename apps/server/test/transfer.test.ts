import { setTimeout as sleep } from 'node:timers/promises';
import { FakeOpenAIServer } from '@parley/services/testing';
import type { ProviderName } from '@parley/telephony';
import { dialTwiml, vobizDialXml } from '@parley/telephony';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallEvent } from '../src/db/call-events.ts';
import { vobizTransferToken } from '../src/telephony/transfer.ts';
import type { CallSimulator } from '../src/tools/call-simulator.ts';
import { VobizCallSimulator } from '../src/tools/vobiz-call-simulator.ts';
import { fakeServices, putAgent, speech8k } from './helpers/fakes.ts';
import {
  allProviderSettings,
  closeFakeProviderApis,
  exotelStreamSimulator,
  type FakeProviderApis,
  OUTBOUND_FROM,
  placedCall,
  startFakeProviderApis,
  twilioStreamSimulator,
} from './helpers/outbound.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';
import {
  callWithStatus,
  freePort,
  postForm,
  putSettings,
  readTwiml,
  readVobizXml,
  vobizSignatureHeaders,
} from './helpers/telephony.ts';

/** A provider's stream simulator: each starts the stream and hangs up its own way. */
type Caller = CallSimulator & { start(): void; hangUp(): void };

const SALES = '+15550001111';
/** What the agent says before transferring. */
const LINE = 'Connecting you to sales now.';
const AGENT = 'transfers';
/** How long to wait to be sure no request is coming (nothing can be polled for an absence). */
const NO_REQUEST_GRACE_MS = 500;

/**
 * Calls whose LLM (the fake OpenAI server, scripted) calls the built-in `transfer_call`: the
 * provider's fake REST API receives the transfer with the configured number, the call ends as
 * `transferred` when the provider ends the stream; refusals leave the call going.
 */
describe('transfer_call in a call', () => {
  let server: TestServer;
  let llm: FakeOpenAIServer;
  let apis: FakeProviderApis;

  beforeAll(async () => {
    llm = await FakeOpenAIServer.start({ defaultReply: { text: 'Okay.' } });
    apis = await startFakeProviderApis();
    const port = await freePort();
    server = await startTestServer(() => fakeServices(llm.url), {
      PORT: String(port),
      PUBLIC_URL: `http://127.0.0.1:${port}`,
      // The refusals below are expected: their warnings would be noise.
      LOG_LEVEL: 'error',
    });
    await putSettings(server, allProviderSettings(apis));
    await putAgent(
      server,
      AGENT,
      {
        tools: ['transfer_call'],
        transfer: {
          destinations: [
            { name: 'sales', number: SALES, description: 'buying a plan' },
            { name: 'support', number: '+15550002222' },
          ],
          callerId: OUTBOUND_FROM,
        },
        userIdle: { enabled: false },
      },
      ['i want to buy a plan', 'then what', 'okay'],
    );
  }, 60_000);

  afterAll(async () => {
    await server?.close();
    await llm?.close();
    await closeFakeProviderApis(apis);
  });

  /** A call we placed through `provider`, answered, its stream started. */
  async function answered(
    provider: ProviderName,
  ): Promise<{ id: string; providerCallId: string; sim: Caller }> {
    const { id, providerCallId } = await placedCall(server, provider, { agent: AGENT });
    let sim: Caller;
    if (provider === 'twilio') {
      sim = twilioStreamSimulator(
        server,
        readTwiml(await apis.twilio.answer(providerCallId)),
        providerCallId,
        apis.twilio.authToken,
      );
    } else if (provider === 'vobiz') {
      sim = new VobizCallSimulator({
        url: readVobizXml(await apis.vobiz.answer(providerCallId)),
        callId: providerCallId,
      });
    } else {
      sim = exotelStreamSimulator(new URL(apis.exotel.streamUrl(providerCallId)), providerCallId);
    }
    await sim.connect();
    sim.start();
    await callWithStatus(server, id, 'in_progress');
    return { id, providerCallId, sim };
  }

  /** The caller says one recorded sentence (the fake STT hears the agent's next transcript). */
  async function say(sim: CallSimulator): Promise<void> {
    await sim.streamAudio(speech8k('goforward'));
  }

  const events = (id: string) => server.parley.events.list(id);
  const ofType = (list: readonly CallEvent[], ...types: string[]): Array<Record<string, unknown>> =>
    list.filter((e) => types.includes(e.type)).map((e) => ({ type: e.type, ...e.data }));

  it('Twilio: says the line, then updates the call with a <Dial> of the configured number; the call ends as transferred', async () => {
    const { id, providerCallId: sid, sim } = await answered('twilio');
    llm.reply({ toolCalls: [{ name: 'transfer_call', arguments: { destination: 'sales', message: LINE } }] });
    const firstLlmRequest = llm.requests.length;
    const before = apis.twilio.requests.length;
    await say(sim);
    // What the caller had heard when Twilio got the transfer (which cuts the stream off).
    let heardAtTransfer = -1;
    await sim.withSilence(() =>
      expect
        .poll(
          () => {
            if (heardAtTransfer < 0 && apis.twilio.call(sid)?.twiml !== undefined)
              heardAtTransfer = sim.heardAudio().length;
            return heardAtTransfer >= 0;
          },
          { timeout: 20_000, interval: 20 },
        )
        .toBe(true),
    );
    // The whole line (the fake TTS: 20 ms a character, at 8 kHz) was played first.
    expect(heardAtTransfer).toBeGreaterThanOrEqual(0.9 * LINE.length * 20 * 8);

    // The transfer request: the number from the agent's configuration, our caller ID.
    expect(apis.twilio.requests.slice(before)).toHaveLength(1);
    const update = apis.twilio.requests.at(-1)!;
    expect(update.method).toBe('POST');
    expect(update.path).toBe(`/2010-04-01/Accounts/${apis.twilio.accountSid}/Calls/${sid}.json`);
    expect(update.body).toEqual({ Twiml: dialTwiml({ to: SALES, callerId: OUTBOUND_FROM }) });
    const offered = llm.requests[firstLlmRequest]?.tools?.find((t) => t.function.name === 'transfer_call');
    expect(offered?.function.parameters).toMatchObject({
      properties: { destination: { enum: ['sales', 'support'] } },
      required: ['destination'],
    });

    // Twilio ends the stream as it runs the new TwiML.
    sim.hangUp();
    const call = await callWithStatus(server, id, 'completed');
    expect(call.endReason).toBe('transferred');
    const list = await events(id);
    expect(ofType(list, 'tool_called', 'tool_result', 'call_transferred')).toMatchObject([
      { type: 'tool_called', name: 'transfer_call', source: 'builtin', toolId: 'transfer_call' },
      { type: 'call_transferred', destination: 'sales', to: SALES },
      { type: 'tool_result', name: 'transfer_call', ok: true },
    ]);
    expect(ofType(list, 'agent_spoke').map((e) => e.text)).toEqual([LINE]);
    expect(ofType(list, 'call_ended')).toMatchObject([{ reason: 'transferred' }]);
    // No LLM run after the accepted transfer, and no hang-up: the call goes on at Twilio.
    expect(llm.requests.length - firstLlmRequest).toBe(1);
    await sleep(NO_REQUEST_GRACE_MS);
    expect(apis.twilio.requests.slice(before)).toHaveLength(1);
    expect(apis.twilio.call(sid)?.status).toBe('in-progress');
  }, 90_000);

  it('closes the stream itself, still without a hang-up, when the provider does not end it after the transfer', async () => {
    const { id, providerCallId: sid, sim } = await answered('twilio');
    llm.reply({ toolCalls: [{ name: 'transfer_call', arguments: { destination: 'support' } }] });
    const before = apis.twilio.requests.length;
    await say(sim);
    // The caller's line stays up (silence flowing); the server gives the provider 10 s.
    const closed = await sim.withSilence(() => sim.closed());
    expect(closed.code).toBe(1000);
    const call = await callWithStatus(server, id, 'completed');
    expect(call.endReason).toBe('transferred');
    await sleep(NO_REQUEST_GRACE_MS);
    const sent = apis.twilio.requests.slice(before);
    expect(sent.map((r) => r.body)).toEqual([
      { Twiml: dialTwiml({ to: '+15550002222', callerId: OUTBOUND_FROM }) },
    ]);
    expect(apis.twilio.call(sid)?.status).toBe('in-progress');
  }, 90_000);

  it('Twilio: refuses an unknown destination before any request, and a provider failure is an error result; the call goes on', async () => {
    const { id, sim } = await answered('twilio');
    llm.reply(
      { toolCalls: [{ name: 'transfer_call', arguments: { destination: '+15559999999' } }] },
      { toolCalls: [{ name: 'transfer_call', arguments: { destination: 'support' } }] },
      { text: 'Sorry, I could not transfer you.' },
    );
    const firstLlmRequest = llm.requests.length;
    const before = apis.twilio.requests.length;
    apis.twilio.reply({ status: 500, message: 'Internal error' });
    await say(sim);
    await sim.withSilence(() =>
      sim.waitFor(() => llm.requests.length >= firstLlmRequest + 3, 20_000, 'the LLM to answer the failures'),
    );
    await sim.withSilence(() =>
      expect
        .poll(async () => ofType(await events(id), 'agent_spoke').map((e) => e.text), { timeout: 15_000 })
        .toContain('Sorry, I could not transfer you.'),
    );
    sim.hangUp();
    const call = await callWithStatus(server, id, 'completed');
    expect(call.endReason).toBe('caller_hung_up');

    // Only the known destination reached Twilio (and failed); the made-up number never did.
    const sent = apis.twilio.requests.slice(before);
    expect(sent).toHaveLength(1);
    expect(sent[0]?.body).toEqual({ Twiml: dialTwiml({ to: '+15550002222', callerId: OUTBOUND_FROM }) });
    const told = (n: number) =>
      JSON.parse(String(llm.requests[firstLlmRequest + n]?.messages.at(-1)?.content)) as { error: string };
    expect(told(1).error).toBe(
      'unknown destination "+15559999999", nothing was dialed; choose one of: sales, support',
    );
    expect(told(2).error).toMatch(/^the transfer to support failed \(twilio transfer failed: HTTP 500/);
    const list = await events(id);
    expect(ofType(list, 'tool_result')).toMatchObject([
      { name: 'transfer_call', ok: false, error: 'invalid_arguments: unknown destination "+15559999999"' },
      {
        name: 'transfer_call',
        ok: false,
        error: expect.stringContaining('twilio transfer failed: HTTP 500'),
      },
    ]);
    expect(ofType(list, 'call_transferred')).toEqual([]);
  }, 90_000);

  it('Vobiz: transfers the A leg to our signed XML URL, which dials the configured number; no hang-up follows', async () => {
    const { id, providerCallId: uuid, sim } = await answered('vobiz');
    llm.reply({ toolCalls: [{ name: 'transfer_call', arguments: { destination: 'sales' } }] });
    const before = apis.vobiz.requests.length;
    await say(sim);
    await sim.withSilence(() =>
      expect.poll(() => apis.vobiz.call(uuid)?.transferUrl, { timeout: 20_000 }).toBeDefined(),
    );
    const transfer = apis.vobiz.requests.slice(before);
    expect(transfer).toHaveLength(1);
    const token = vobizTransferToken(apis.vobiz.authToken, id, 'sales');
    const alegUrl = `${server.url}/telephony/vobiz/transfer/${id}/sales/${token}`;
    expect(transfer[0]).toMatchObject({
      method: 'POST',
      path: `/api/v1/Account/${apis.vobiz.authId}/Call/${uuid}/`,
    });
    expect(transfer[0]?.body).toEqual({ legs: 'aleg', aleg_url: alegUrl, aleg_method: 'POST' });

    // Vobiz fetches the XML (signed), then the stream ends.
    const fetched = await apis.vobiz.followTransfer(uuid);
    expect(fetched.status).toBe(200);
    expect(fetched.body).toBe(vobizDialXml({ to: SALES, callerId: OUTBOUND_FROM }));
    sim.hangUp();
    const call = await callWithStatus(server, id, 'completed');
    expect(call.endReason).toBe('transferred');
    expect(sim.messages('stop')).toEqual([]);
    await sleep(NO_REQUEST_GRACE_MS);
    expect(apis.vobiz.requests.slice(before)).toHaveLength(1);

    // The XML URL is Vobiz's and this transfer's only.
    const form = { CallUUID: uuid, CallStatus: 'in-progress' };
    const path = new URL(alegUrl).pathname;
    const unsigned = await postForm(server, path, form);
    expect(unsigned.status).toBe(403);
    const forged = `${server.url}/telephony/vobiz/transfer/${id}/support/${token}`;
    const wrongToken = await postForm(
      server,
      new URL(forged).pathname,
      form,
      vobizSignatureHeaders(apis.vobiz.authToken, forged),
    );
    expect(wrongToken.status).toBe(403);
    expect(wrongToken.body).not.toContain('<Dial');
    const otherCall = await postForm(
      server,
      path,
      { ...form, CallUUID: crypto.randomUUID() },
      vobizSignatureHeaders(apis.vobiz.authToken, alegUrl),
    );
    expect(otherCall.status).toBe(404);
    expect(otherCall.body).not.toContain('<Dial');
  }, 90_000);

  it('Exotel: answers that the provider cannot transfer, sends nothing, and the call goes on', async () => {
    const { id, sim } = await answered('exotel');
    llm.reply(
      { toolCalls: [{ name: 'transfer_call', arguments: { destination: 'sales' } }] },
      { text: 'I cannot transfer this call.' },
    );
    const before = apis.exotel.requests.length;
    await say(sim);
    await sim.withSilence(() =>
      expect
        .poll(async () => ofType(await events(id), 'agent_spoke').map((e) => e.text), { timeout: 20_000 })
        .toContain('I cannot transfer this call.'),
    );
    sim.hangUp();
    await callWithStatus(server, id, 'completed');
    expect(apis.exotel.requests.slice(before)).toEqual([]);
    expect(ofType(await events(id), 'tool_result')).toMatchObject([
      { name: 'transfer_call', ok: false, error: 'this provider cannot transfer a call in progress' },
    ]);
  }, 90_000);
});
