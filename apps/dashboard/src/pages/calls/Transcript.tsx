import { formatClock } from './format.ts';
import type { TranscriptEntry } from './types.ts';

/** The index of the line being heard at `currentMs`: the last one that started by then; -1 before the first. */
export function activeLine(transcript: readonly TranscriptEntry[], currentMs: number): number {
  let active = -1;
  transcript.forEach((entry, index) => {
    if (entry.atMs <= currentMs) active = index;
  });
  return active;
}

/**
 * The conversation, one line per turn with its time in the call. With `onSeek`, each line is a
 * button that moves the recording to it, and the line at `currentMs` is highlighted.
 */
export function Transcript({
  transcript,
  currentMs,
  onSeek,
}: {
  transcript: readonly TranscriptEntry[];
  currentMs?: number;
  onSeek?: (seconds: number) => void;
}) {
  if (transcript.length === 0) return <p className="muted">Nothing was said in this call.</p>;
  const active = currentMs === undefined ? -1 : activeLine(transcript, currentMs);
  return (
    <ol className="transcript">
      {transcript.map((entry, index) => {
        const who = entry.role === 'user' ? 'Caller' : 'Bot';
        const content = (
          <>
            <span className="transcript-time">{formatClock(entry.atMs)}</span>
            <span className="transcript-who">{who}</span>
            <span className="transcript-text">
              {entry.text}
              {entry.interrupted === true && <em className="muted"> (interrupted)</em>}
            </span>
          </>
        );
        return (
          <li
            // biome-ignore lint/suspicious/noArrayIndexKey: a stored transcript never reorders; lines can repeat.
            key={`${entry.atMs}-${index}`}
            className={`transcript-line transcript-${entry.role}${index === active ? ' transcript-active' : ''}`}
            aria-current={index === active ? 'true' : undefined}
          >
            {onSeek === undefined ? (
              <div className="transcript-row">{content}</div>
            ) : (
              <button
                type="button"
                className="transcript-row"
                onClick={() => onSeek(entry.atMs / 1000)}
                title={`Play from ${formatClock(entry.atMs)}`}
              >
                {content}
              </button>
            )}
          </li>
        );
      })}
    </ol>
  );
}
