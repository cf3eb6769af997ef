import { useEffect, useReducer, useState } from 'react';
import { initialLiveState, type LiveState, liveReducer, parseLiveMessage } from './live-state.ts';

/** The stream's connection: `connecting` (also while the browser reconnects), `open`, or `closed` (refused, e.g. signed out). */
export type LiveConnection = 'connecting' | 'open' | 'closed';

/**
 * Follows `GET /api/live` (server-sent events; the session cookie authenticates it) and folds
 * its messages into a {@link LiveState}. The browser reconnects by itself after a drop; each
 * connection starts with a snapshot that replaces the state. Messages that are not valid
 * stream messages are ignored.
 */
export function useLiveStream(url = '/api/live'): { state: LiveState; connection: LiveConnection } {
  const [state, dispatch] = useReducer(liveReducer, initialLiveState);
  const [connection, setConnection] = useState<LiveConnection>('connecting');
  useEffect(() => {
    const source = new EventSource(url);
    source.onopen = () => setConnection('open');
    source.onerror = () => setConnection(source.readyState === EventSource.CLOSED ? 'closed' : 'connecting');
    source.onmessage = (event: MessageEvent<string>) => {
      const message = parseLiveMessage(event.data);
      if (message !== undefined) dispatch(message);
    };
    return () => source.close();
  }, [url]);
  return { state, connection };
}

/** The current time, ms since the epoch, updated every `everyMs` (for elapsed times). */
export function useNow(everyMs = 1000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(timer);
  }, [everyMs]);
  return now;
}
