import { useMutation, useQuery } from '@tanstack/react-query';
import { useEffect, useReducer, useRef, useState } from 'react';
import { Link, useParams } from 'react-router';
import { api } from '../../api/client.ts';
import { useCan } from '../../auth/session.tsx';
import { ErrorNotice } from '../../ui/ErrorNotice.tsx';
import { TestCallSession } from './testcall-session.ts';
import { addTranscriptMessage, EMPTY_TRANSCRIPT, type TranscriptMessage } from './testcall-transcript.ts';
import './testcall.css';

/** `POST /api/agents/:id/browser-call`'s answer. */
interface BrowserCallGrant {
  readonly callId: string;
  readonly token: string;
  readonly url: string;
  readonly expiresInSecs: number;
}

type Phase = 'idle' | 'connecting' | 'live' | 'ended';

const PHASE_TEXT: Readonly<Record<Phase, string>> = {
  idle: 'Ready: start the call and speak into your microphone.',
  connecting: 'Connecting…',
  live: 'In call: speak to the agent.',
  ended: 'The call has ended.',
};

/**
 * `/agents/:agentId/test-call`: talk to an agent from the browser. Start asks the server for a
 * one-time call token, then streams the microphone to the agent's pipeline and plays its
 * answers; the live transcript shows both sides; Stop hangs up; the stored call is linked.
 */
export function TestCallPage() {
  const { agentId = '' } = useParams();
  const canCall = useCan('editor');
  const agent = useQuery({
    queryKey: ['agent', agentId],
    queryFn: () => api<{ id: string; name: string }>('GET', `/api/agents/${encodeURIComponent(agentId)}`),
  });
  const [phase, setPhase] = useState<Phase>('idle');
  const [callId, setCallId] = useState<string>();
  const [problem, setProblem] = useState<Error>();
  const [transcript, addLine] = useReducer(
    (state: typeof EMPTY_TRANSCRIPT, message: TranscriptMessage | 'reset') =>
      message === 'reset' ? EMPTY_TRANSCRIPT : addTranscriptMessage(state, message),
    EMPTY_TRANSCRIPT,
  );
  const session = useRef<TestCallSession | undefined>(undefined);

  // Leaving the page hangs up.
  useEffect(() => () => session.current?.stop(), []);

  const start = useMutation({
    mutationFn: () =>
      api<BrowserCallGrant>('POST', `/api/agents/${encodeURIComponent(agentId)}/browser-call`),
    onMutate: () => {
      setProblem(undefined);
      addLine('reset');
      setCallId(undefined);
      setPhase('connecting');
    },
    onSuccess: async (grant) => {
      setCallId(grant.callId);
      const call = session.current;
      if (!call) return; // stopped while the token was on its way
      try {
        await call.start(grant.url);
        setPhase((p) => (p === 'connecting' ? 'live' : p));
      } catch (error) {
        call.stop();
        setProblem(
          new Error(
            `The microphone could not start: ${error instanceof Error ? error.message : String(error)}`,
          ),
        );
        setPhase('ended');
      }
    },
    onError: (error) => {
      session.current?.stop();
      session.current = undefined;
      setProblem(error instanceof Error ? error : new Error(String(error)));
      setPhase('idle');
    },
  });

  /** In the click itself, so that the call's audio may play. */
  const begin = () => {
    session.current?.stop();
    session.current = new TestCallSession({
      onTranscript: addLine,
      onError: (message) => setProblem(new Error(message)),
      onEnded: (error) => {
        if (error !== undefined) setProblem(new Error(error));
        setPhase('ended');
      },
    });
    start.mutate();
  };

  const stop = () => {
    session.current?.stop();
    session.current = undefined;
    setPhase('ended');
  };

  const inCall = phase === 'connecting' || phase === 'live';
  const name = agent.data?.name ?? agentId;
  return (
    <section className="testcall" aria-labelledby="testcall-title">
      <h1 id="testcall-title">Test call: {name}</h1>
      <ErrorNotice error={agent.error} title="The agent could not be loaded" />
      {!canCall && <p className="notice">Test calls need the editor role.</p>}
      <div className="toolbar">
        <button type="button" className="primary" disabled={!canCall || inCall} onClick={begin}>
          Start call
        </button>
        <button type="button" className="danger" disabled={!inCall} onClick={stop}>
          End call
        </button>
        <p className="testcall-phase" role="status">
          {PHASE_TEXT[phase]}
        </p>
      </div>
      <ErrorNotice error={problem} />
      <h2 id="testcall-transcript-title">Transcript</h2>
      {transcript.lines.length === 0 ? (
        <p className="muted">Nothing said yet.</p>
      ) : (
        <ol className="testcall-transcript" aria-labelledby="testcall-transcript-title" aria-live="polite">
          {transcript.lines.map((line) => (
            <li
              key={line.key}
              className={`testcall-line testcall-${line.role}${line.final ? '' : ' testcall-provisional'}`}
            >
              <span className="testcall-speaker">{line.role === 'user' ? 'You' : 'Agent'}</span>
              <span className="testcall-text">{line.text}</span>
            </li>
          ))}
        </ol>
      )}
      {phase === 'ended' && callId !== undefined && (
        <p>
          <Link to={`/calls/${callId}`}>Open the stored call</Link>
        </p>
      )}
    </section>
  );
}
