import { describeEvent } from './events.ts';
import { formatClock } from './format.ts';
import type { CallEvent } from './types.ts';

/** Every event of the call in order, with its offset from the first event. */
export function EventTimeline({ events }: { events: readonly CallEvent[] }) {
  if (events.length === 0) return <p className="muted">No events were recorded.</p>;
  const start = new Date(events[0]?.at ?? 0).getTime();
  return (
    <ol className="timeline">
      {events.map((event) => (
        <li key={event.seq} className={`timeline-event timeline-${event.type}`}>
          <time dateTime={event.at} title={new Date(event.at).toLocaleString()}>
            {formatClock(new Date(event.at).getTime() - start)}
          </time>{' '}
          <span className="timeline-type">{event.type}</span> {describeEvent(event)}
        </li>
      ))}
    </ol>
  );
}
