import { useMutation } from '@tanstack/react-query';
import { useId } from 'react';
import { api } from '../../api/client.ts';
import { ConfirmAction } from '../../ui/ConfirmAction.tsx';
import { ErrorNotice } from '../../ui/ErrorNotice.tsx';
import { type LiveCallView, TURN_STEPS, type TurnView } from './live-state.ts';

/** Column titles of the voice-timing steps. */
const STEP_TITLES: Readonly<Record<(typeof TURN_STEPS)[number], string>> = {
  sttFinalMs: 'STT final',
  llmFirstTokenMs: 'LLM first token',
  firstSentenceMs: 'First sentence',
  ttsFirstAudioMs: 'TTS first audio',
  firstAudioSentMs: 'Sent',
  firstSentencePlayedMs: 'Played',
};

/** `m:ss` (or `h:mm:ss`) of a duration in ms. */
export function formatElapsed(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

/**
 * One live call: who, elapsed time, current node, the transcript as it is spoken, tool calls,
 * the last turns' voice timing and errors; with `canEnd`, an "End call" button that asks for
 * confirmation before `POST /api/calls/:id/end`.
 */
export function LiveCallCard({ view, now, canEnd }: { view: LiveCallView; now: number; canEnd: boolean }) {
  const { call } = view;
  const headingId = useId();
  const since = (iso: string) => now - Date.parse(iso);
  return (
    <article className="live-call" aria-labelledby={headingId}>
      <header className="live-call-head">
        <h2 id={headingId}>
          {call.agentName} <span className="muted">({call.agentId})</span>
        </h2>
        {canEnd && <EndCall callId={call.id} agentName={call.agentName} />}
      </header>
      <dl className="live-facts">
        <div>
          <dt>From</dt>
          <dd>{call.from ?? 'unknown'}</dd>
        </div>
        <div>
          <dt>To</dt>
          <dd>{call.to ?? 'unknown'}</dd>
        </div>
        <div>
          <dt>Direction</dt>
          <dd>
            {call.direction} via {call.provider}
          </dd>
        </div>
        <div>
          <dt>Elapsed</dt>
          <dd>{formatElapsed(since(call.startedAt))}</dd>
        </div>
        <div>
          <dt>Node</dt>
          <dd>{view.node ?? <span className="muted">none</span>}</dd>
        </div>
      </dl>
      {view.endedBy !== undefined && <p className="muted">Ending: asked by {view.endedBy}</p>}

      <h3>Transcript</h3>
      <div className="live-transcript" role="log" aria-label={`Transcript of ${call.agentName}`}>
        <ol>
          {view.transcript.map((line) => (
            <li key={line.key} className={`live-line live-${line.role}`}>
              <strong>{line.role === 'user' ? 'Caller' : 'Agent'}:</strong> {line.text}
              {line.interrupted && <span className="muted"> (interrupted)</span>}
            </li>
          ))}
          {view.partial.assistant !== undefined && (
            <li className="live-line live-assistant live-partial">
              <strong>Agent:</strong> {view.partial.assistant}
            </li>
          )}
          {view.partial.user !== undefined && (
            <li className="live-line live-user live-partial">
              <strong>Caller:</strong> {view.partial.user}
            </li>
          )}
          {view.transcript.length === 0 &&
            view.partial.user === undefined &&
            view.partial.assistant === undefined && <li className="muted">Nothing said yet.</li>}
        </ol>
      </div>

      {view.tools.length > 0 && (
        <>
          <h3>Tool calls</h3>
          <table className="live-table">
            <thead>
              <tr>
                <th scope="col">Tool</th>
                <th scope="col">Started</th>
                <th scope="col">Time</th>
                <th scope="col">Result</th>
              </tr>
            </thead>
            <tbody>
              {view.tools.map((tool) => (
                <tr key={tool.id}>
                  <td>{tool.name}</td>
                  <td>{new Date(tool.startedAt).toLocaleTimeString()}</td>
                  <td>
                    {tool.endedAt === undefined
                      ? `${formatElapsed(since(tool.startedAt))} running`
                      : `${tool.durationMs ?? Date.parse(tool.endedAt) - Date.parse(tool.startedAt)} ms`}
                  </td>
                  <td>
                    {tool.endedAt === undefined
                      ? '…'
                      : `${tool.ok ? 'ok' : 'failed'}${tool.result ? `: ${tool.result}` : ''}`}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}

      {view.turns.length > 0 && <TurnTable turns={view.turns} />}

      {view.errors.length > 0 && (
        <>
          <h3>Errors</h3>
          <ul className="live-errors">
            {view.errors.map((error) => (
              <li key={error.key}>{error.message}</li>
            ))}
          </ul>
        </>
      )}
    </article>
  );
}

/** The last turns' voice timing: ms from the caller stopping to each step. */
function TurnTable({ turns }: { turns: readonly TurnView[] }) {
  return (
    <>
      <h3>Voice timing (ms after the caller stopped)</h3>
      <table className="live-table">
        <thead>
          <tr>
            <th scope="col">Turn</th>
            {TURN_STEPS.map((step) => (
              <th scope="col" key={step}>
                {STEP_TITLES[step]}
              </th>
            ))}
            <th scope="col">Outcome</th>
          </tr>
        </thead>
        <tbody>
          {turns.map((turn) => (
            <tr key={turn.turn}>
              <td>{turn.turn}</td>
              {TURN_STEPS.map((step) => (
                <td key={step}>{turn.steps[step] ?? '–'}</td>
              ))}
              <td>{turn.outcome}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

/** "End call", then a confirmation; the call leaves the list when the stream says it ended. */
function EndCall({ callId, agentName }: { callId: string; agentName: string }) {
  const end = useMutation({
    mutationFn: () => api<unknown>('POST', `/api/calls/${encodeURIComponent(callId)}/end`),
  });
  return (
    <div className="live-end">
      <ConfirmAction
        label={end.isPending ? 'Ending…' : 'End call'}
        question={`End the call with ${agentName}? The caller is hung up.`}
        confirmLabel="Yes, end the call"
        onConfirm={() => end.mutate()}
        pending={end.isPending}
      />
      <ErrorNotice error={end.error} title="Could not end the call" />
    </div>
  );
}
