import { formatClock, formatMs } from './format.ts';
import type { TurnWaterfall, WaterfallRow } from './waterfall.ts';

const ORIGIN_TEXT: Record<TurnWaterfall['origin'], string> = {
  caller_stopped: 'from when the caller stopped speaking',
  turn_end: 'from the end of the caller’s turn (the VAD stop was not measured)',
};

/** The latency waterfall of each user turn: one table per turn, a bar and ms labels per stage. */
export function Waterfall({ turns }: { turns: readonly TurnWaterfall[] }) {
  if (turns.length === 0) return <p className="muted">No turn timings were recorded for this call.</p>;
  return (
    <div className="waterfall">
      {turns.map((turn) => (
        <TurnTable key={turn.turn} turn={turn} />
      ))}
    </div>
  );
}

function TurnTable({ turn }: { turn: TurnWaterfall }) {
  const total = turn.totalMs === null ? 'not played' : `${formatMs(turn.totalMs)} to first sentence played`;
  return (
    <table className="waterfall-turn">
      <caption>
        <strong>Turn {turn.turn}</strong> at {formatClock(turn.callAtMs)} · {turn.outcome} · {total}
        {turn.error !== undefined && <span className="waterfall-error"> · {turn.error}</span>}
        <span className="muted"> ({ORIGIN_TEXT[turn.origin]})</span>
      </caption>
      <thead>
        <tr>
          <th scope="col">Stage</th>
          <th scope="col">Timeline</th>
          <th scope="col">Step</th>
          <th scope="col">Elapsed</th>
        </tr>
      </thead>
      <tbody>
        {turn.rows.map((row) => (
          <StageRow key={row.key} row={row} turn={turn} />
        ))}
      </tbody>
    </table>
  );
}

function StageRow({ row, turn }: { row: WaterfallRow; turn: TurnWaterfall }) {
  if (!row.present || row.atMs === null || row.startMs === null || row.stepMs === null) {
    return (
      <tr className="waterfall-missing">
        <th scope="row">{row.label}</th>
        <td>
          <span className="waterfall-track" />
        </td>
        <td colSpan={2}>missing</td>
      </tr>
    );
  }
  const span = Math.max(1, turn.maxMs - turn.minMs);
  const percent = (ms: number) => Math.round((ms / span) * 10_000) / 100;
  const left = percent(Math.min(row.startMs, row.atMs) - turn.minMs);
  const width = percent(Math.abs(row.stepMs));
  return (
    <tr>
      <th scope="row">{row.label}</th>
      <td>
        <span className="waterfall-track" aria-hidden="true">
          <span
            className={row.stepMs < 0 ? 'waterfall-bar waterfall-bar-early' : 'waterfall-bar'}
            style={{ left: `${left}%`, width: `max(2px, ${width}%)` }}
          />
        </span>
      </td>
      <td>{row.stepMs >= 0 ? `+${formatMs(row.stepMs)}` : `${formatMs(row.stepMs)} (early)`}</td>
      <td>{formatMs(row.atMs)}</td>
    </tr>
  );
}
