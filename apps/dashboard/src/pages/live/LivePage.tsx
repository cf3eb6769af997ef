import { useCan } from '../../auth/session.tsx';
import { Loading } from '../../ui/Loading.tsx';
import { LiveCallCard } from './live-call-card.tsx';
import { useLiveStream, useNow } from './live-stream.ts';
import './live.css';

const CONNECTION_TEXT = {
  connecting: 'Connecting…',
  open: 'Connected: updates as they happen.',
  closed: 'Disconnected. Reload the page to reconnect (you may need to sign in again).',
} as const;

/**
 * Live calls (`/live`): every call in progress on the server, updated as it happens from
 * `GET /api/live`. Editors and admins can end a call.
 */
export function LivePage() {
  const { state, connection } = useLiveStream();
  const canEnd = useCan('editor');
  const now = useNow();
  return (
    <section className="live-page">
      <h1>Live calls</h1>
      <p role="status" className={connection === 'closed' ? 'notice notice-error' : 'muted'}>
        {CONNECTION_TEXT[connection]}
        {state.ready && ` ${state.calls.length} call${state.calls.length === 1 ? '' : 's'} in progress.`}
      </p>
      {!state.ready ? (
        connection !== 'closed' && <Loading what="Loading live calls" />
      ) : state.calls.length === 0 ? (
        <p>No calls in progress. Calls appear here as soon as they start.</p>
      ) : (
        <ul className="live-calls" aria-label="Calls in progress">
          {state.calls.map((view) => (
            <li key={view.call.id}>
              <LiveCallCard view={view} now={now} canEnd={canEnd} />
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
