import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { act, render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { MemoryRouter, Route, Routes, useLocation } from 'react-router';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CallPage } from '../src/pages/calls/CallPage.tsx';
import { CallsPage } from '../src/pages/calls/CallsPage.tsx';

/** A stand-in for wavesurfer.js (jsdom has no audio or canvas): records what the page asks of it. */
const player = vi.hoisted(() => {
  const handlers = new Map<string, ((...args: unknown[]) => void)[]>();
  return {
    handlers,
    options: [] as Record<string, unknown>[],
    setTime: vi.fn(),
    playPause: vi.fn(async () => {}),
    destroy: vi.fn(),
    emit(event: string, ...args: unknown[]) {
      for (const handler of handlers.get(event) ?? []) handler(...args);
    },
  };
});

vi.mock('wavesurfer.js', () => ({
  default: {
    create: (options: Record<string, unknown>) => {
      player.options.push(options);
      return {
        on: (event: string, handler: (...args: unknown[]) => void) => {
          player.handlers.set(event, [...(player.handlers.get(event) ?? []), handler]);
          return () =>
            player.handlers.set(
              event,
              (player.handlers.get(event) ?? []).filter((h) => h !== handler),
            );
        },
        setTime: player.setTime,
        playPause: player.playPause,
        destroy: player.destroy,
      };
    },
  },
}));

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}

const CALL_ID = '0b6f3a52-9d1e-4c1a-8f59-3f1b2a7c9d10';
const LIVE_ID = '5d0c1e7a-2b3f-4a6e-9c8d-7e6f5a4b3c2d';

const summary = {
  id: CALL_ID,
  agentId: 'demo',
  provider: 'twilio',
  direction: 'inbound',
  status: 'completed',
  from: '+15551230000',
  to: '+15557654321',
  createdAt: '2026-03-02T12:00:00.000Z',
  startedAt: '2026-03-02T12:00:01.000Z',
  answeredAt: '2026-03-02T12:00:01.000Z',
  endedAt: '2026-03-02T12:00:31.000Z',
  durationMs: 30_000,
  endReason: 'caller_hung_up',
  recordingPath: 'recordings/2026/03/x.wav',
  usage: null,
  analysis: null,
};

function at(ms: number): string {
  return new Date(Date.parse('2026-03-02T12:00:01.000Z') + ms).toISOString();
}

const detail = {
  ...summary,
  transcript: [
    { role: 'assistant', text: 'Hello, how can I help?', atMs: 200 },
    { role: 'user', text: 'What are your opening hours?', atMs: 4500 },
    { role: 'assistant', text: 'We open at nine.', atMs: 7100 },
  ],
  events: [
    { id: 1, seq: 1, type: 'call_started', at: at(0), data: { provider: 'twilio', agentId: 'demo' } },
    {
      id: 2,
      seq: 2,
      type: 'node_transition',
      at: at(10),
      data: { from: null, to: 'greeting', functionName: null },
    },
    {
      id: 3,
      seq: 3,
      type: 'user_spoke',
      at: at(4500),
      data: { text: 'What are your opening hours?', atMs: 4500 },
    },
    {
      id: 4,
      seq: 4,
      type: 'node_transition',
      at: at(5000),
      data: { from: 'greeting', to: 'hours', functionName: 'ask_hours' },
    },
    {
      id: 5,
      seq: 5,
      type: 'tool_called',
      at: at(5100),
      data: { toolCallId: 't1', name: 'lookup_hours', arguments: '{"day":"monday"}' },
    },
    {
      id: 6,
      seq: 6,
      type: 'tool_result',
      at: at(5400),
      data: { toolCallId: 't1', name: 'lookup_hours', ok: true, durationMs: 312, result: '{"open":"9:00"}' },
    },
    {
      id: 7,
      seq: 7,
      type: 'turn',
      at: at(6000),
      data: {
        turn: 1,
        atMs: 5200,
        outcome: 'played',
        sttFinalMs: 120,
        llmFirstTokenMs: 500,
        firstSentencePlayedMs: 1400,
      },
    },
  ],
};

function LocationProbe() {
  const location = useLocation();
  return <output aria-label="location">{`${location.pathname}${location.search}`}</output>;
}

function renderAt(url: string) {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  render(
    <QueryClientProvider client={client}>
      <MemoryRouter initialEntries={[url]}>
        <Routes>
          <Route path="/calls" element={<CallsPage />} />
          <Route path="/calls/:callId" element={<CallPage />} />
        </Routes>
        <LocationProbe />
      </MemoryRouter>
    </QueryClientProvider>,
  );
}

let requests: string[];

beforeEach(() => {
  requests = [];
  player.handlers.clear();
  player.options.length = 0;
  player.setTime.mockClear();
  player.playPause.mockClear();
  vi.stubGlobal(
    'fetch',
    vi.fn(async (url: string) => {
      requests.push(url);
      if (url === '/api/agents')
        return json(200, {
          agents: [
            { id: 'demo', name: 'Demo' },
            { id: 'sales', name: 'Sales' },
          ],
        });
      if (url.startsWith('/api/calls?')) {
        const offset = Number(new URL(url, 'http://x').searchParams.get('offset'));
        return json(200, { calls: offset < 60 ? [summary] : [], total: 60, limit: 25, offset });
      }
      if (url === `/api/calls/${CALL_ID}`) return json(200, detail);
      if (url === `/api/calls/${LIVE_ID}`) {
        return json(200, {
          ...detail,
          id: LIVE_ID,
          status: 'in_progress',
          recordingPath: null,
          endedAt: null,
        });
      }
      return json(404, { error: { code: 'not_found', message: 'No such thing' } });
    }),
  );
});

afterEach(() => vi.unstubAllGlobals());

const location = () => screen.getByLabelText('location').textContent ?? '';

describe('CallsPage', () => {
  it('writes the filters to the URL and asks the API for them', async () => {
    renderAt('/calls');
    await screen.findByText(/Calls 1–25 of 60/);
    await screen.findByRole('option', { name: 'Sales (sales)' });
    await userEvent.selectOptions(screen.getByLabelText('Agent'), 'sales');
    await userEvent.selectOptions(screen.getByLabelText('Status'), 'no_answer');
    await userEvent.selectOptions(screen.getByLabelText('Direction'), 'outbound');
    await userEvent.type(screen.getByLabelText('From day'), '2026-03-01');
    await userEvent.type(screen.getByLabelText('To day'), '2026-03-02');
    await userEvent.type(screen.getByLabelText('Phone number'), '+1555*');
    await userEvent.click(screen.getByRole('button', { name: 'Apply filters' }));
    await waitFor(() =>
      expect(location()).toBe(
        '/calls?agent=sales&status=no_answer&direction=outbound&from=2026-03-01&to=2026-03-02&number=%2B1555*',
      ),
    );
    await waitFor(() => expect(requests.some((r) => r.includes('agentId=sales'))).toBe(true));
    const query = new URL(requests.filter((r) => r.startsWith('/api/calls?')).at(-1) ?? '', 'http://x')
      .searchParams;
    expect(query.get('status')).toBe('no_answer');
    expect(query.get('direction')).toBe('outbound');
    expect(query.get('number')).toBe('+1555*');
    // The days are the browser's: from its midnight of the first to its midnight after the last.
    expect(query.get('from')).toBe(new Date(2026, 2, 1).toISOString());
    expect(query.get('to')).toBe(new Date(2026, 2, 3).toISOString());
  });

  it('reads the filters from the URL, pages through it, and clears it', async () => {
    renderAt('/calls?status=completed&number=%2B15551230000');
    await screen.findByText(/Calls 1–25 of 60/);
    expect((screen.getByLabelText('Status') as HTMLSelectElement).value).toBe('completed');
    expect((screen.getByLabelText('Phone number') as HTMLInputElement).value).toBe('+15551230000');
    await userEvent.click(screen.getByRole('button', { name: 'Next page' }));
    await waitFor(() => expect(location()).toBe('/calls?status=completed&number=%2B15551230000&page=2'));
    await screen.findByText(/Calls 26–50 of 60/);
    expect(requests.some((r) => r.includes('offset=25') && r.includes('status=completed'))).toBe(true);
    await userEvent.click(screen.getByRole('button', { name: 'Clear' }));
    await waitFor(() => expect(location()).toBe('/calls'));
    await waitFor(() => expect((screen.getByLabelText('Status') as HTMLSelectElement).value).toBe(''));
  });

  it('refuses a malformed number at the field and keeps the URL', async () => {
    renderAt('/calls');
    await screen.findByText(/Calls 1–25 of 60/);
    await userEvent.type(screen.getByLabelText('Phone number'), '555 1234');
    await userEvent.click(screen.getByRole('button', { name: 'Apply filters' }));
    expect(await screen.findByText(/Enter a number/)).toBeTruthy();
    expect(screen.getByLabelText('Phone number').getAttribute('aria-invalid')).toBe('true');
    expect(location()).toBe('/calls');
  });

  it('offers a way back from a page past the last one', async () => {
    renderAt('/calls?page=9');
    await screen.findByText('No calls on page 9: there are 60.');
    await userEvent.click(screen.getByRole('button', { name: 'Previous page' }));
    await waitFor(() => expect(location()).toBe('/calls?page=3'));
  });

  it('links each call to its page', async () => {
    renderAt('/calls');
    const table = await screen.findByRole('table');
    const link = within(table).getAllByRole('link')[0];
    expect(link?.getAttribute('href')).toBe(`/calls/${CALL_ID}`);
  });
});

describe('CallPage', () => {
  it('loads the stereo recording as two waveforms, and seeks to a transcript line when it is clicked', async () => {
    renderAt(`/calls/${CALL_ID}`);
    await screen.findByRole('heading', { name: 'Call from +15551230000' });
    expect(player.options[0]).toMatchObject({ url: `/api/calls/${CALL_ID}/recording` });
    expect(player.options[0]?.splitChannels).toHaveLength(2);
    act(() => player.emit('ready', 9.5));
    await userEvent.click(screen.getByRole('button', { name: 'Play' }));
    expect(player.playPause).toHaveBeenCalledTimes(1);

    await userEvent.click(screen.getByRole('button', { name: /What are your opening hours/ }));
    expect(player.setTime).toHaveBeenCalledWith(4.5);
  });

  it('highlights the line being played as the position moves', async () => {
    renderAt(`/calls/${CALL_ID}`);
    await screen.findByRole('heading', { name: 'Transcript' });
    const line = (text: RegExp) => screen.getByRole('button', { name: text }).closest('li');
    act(() => player.emit('timeupdate', 5.0));
    expect(line(/opening hours/)?.getAttribute('aria-current')).toBe('true');
    expect(line(/Hello, how can I help/)?.getAttribute('aria-current')).toBeNull();
    act(() => player.emit('timeupdate', 7.2));
    expect(line(/We open at nine/)?.getAttribute('aria-current')).toBe('true');
    expect(line(/opening hours/)?.getAttribute('aria-current')).toBeNull();
    expect(screen.getByRole('timer', { name: 'Playback position' }).textContent).toContain('0:07.2');
  });

  it('shows the flow path, the tool calls with their duration, and the waterfall', async () => {
    renderAt(`/calls/${CALL_ID}`);
    const path = await screen.findByRole('list', { name: 'Flow path' });
    expect(
      within(path)
        .getAllByRole('listitem')
        .map((li) => li.textContent),
    ).toEqual(['greeting', 'hours via ask_hours']);
    const toolRow = screen.getByRole('rowheader', { name: 'lookup_hours' }).closest('tr');
    expect(toolRow?.textContent).toContain('312 ms');
    expect(toolRow?.textContent).toContain('ok');
    expect(screen.getByText('Turn 1')).toBeTruthy();
    expect(screen.getAllByText('missing').length).toBeGreaterThan(0);
  });

  it('shows the transcript without a player while the call has no recording', async () => {
    renderAt(`/calls/${LIVE_ID}`);
    await screen.findByText('The call is still going: its recording is available once it ends.');
    expect(screen.getByText('What are your opening hours?')).toBeTruthy();
    expect(screen.queryByRole('button', { name: /opening hours/ })).toBeNull();
    expect(player.options).toHaveLength(0);
  });

  it('says so when the call does not exist', async () => {
    renderAt('/calls/nope');
    expect((await screen.findByRole('alert')).textContent).toContain('No such thing');
  });
});
