import type { ToolCall } from './events.ts';
import { formatMs } from './format.ts';

const STATUS_TEXT: Record<ToolCall['status'], string> = {
  ok: 'ok',
  failed: 'failed',
  cancelled: 'cancelled',
  running: 'no result',
};

/** Long arguments and results are cut for the table (the events keep them whole). */
function clip(text: string): string {
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}

/** The call's tool calls: name, arguments, status, duration and what they answered. */
export function ToolCalls({ calls }: { calls: readonly ToolCall[] }) {
  if (calls.length === 0) return <p className="muted">No tools were called.</p>;
  return (
    <table className="tool-calls">
      <thead>
        <tr>
          <th scope="col">Tool</th>
          <th scope="col">Arguments</th>
          <th scope="col">Status</th>
          <th scope="col">Duration</th>
          <th scope="col">Result</th>
        </tr>
      </thead>
      <tbody>
        {calls.map((call) => (
          <tr key={call.id}>
            <th scope="row">{call.name}</th>
            <td>
              <code className="clip">{clip(call.arguments)}</code>
            </td>
            <td>
              <span className={`tool-status tool-status-${call.status}`}>{STATUS_TEXT[call.status]}</span>
              {call.cancelled !== undefined && <span className="muted"> ({call.cancelled})</span>}
            </td>
            <td>{call.durationMs === null ? '—' : formatMs(call.durationMs)}</td>
            <td>
              <code className="clip">{clip(call.error ?? call.result ?? '')}</code>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
