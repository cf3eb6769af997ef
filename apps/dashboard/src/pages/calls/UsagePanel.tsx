import type { CallUsage, ServiceUsage } from './types.ts';

const KINDS = [
  {
    kind: 'stt',
    label: 'Speech to text',
    amount: (u: ServiceUsage) => `${(u.audioSeconds ?? 0).toFixed(1)} s of audio`,
  },
  {
    kind: 'llm',
    label: 'LLM',
    amount: (u: ServiceUsage) =>
      `${u.promptTokens ?? 0} prompt + ${u.completionTokens ?? 0} completion tokens`,
  },
  { kind: 'tts', label: 'Text to speech', amount: (u: ServiceUsage) => `${u.characters ?? 0} characters` },
] as const;

/** Formats an amount of money in `currency` (an ISO 4217 code), with up to 4 decimals. */
function money(amount: number, currency: string): string {
  try {
    return new Intl.NumberFormat(undefined, { style: 'currency', currency, maximumFractionDigits: 4 }).format(
      amount,
    );
  } catch {
    return `${amount.toFixed(4)} ${currency}`;
  }
}

/** What the call used of each service (requests, amount, time to first byte) and its estimated cost. */
export function UsagePanel({ usage }: { usage: CallUsage | null }) {
  if (usage === null)
    return <p className="muted">No usage recorded (the call has not ended, or used no service).</p>;
  const rows = KINDS.flatMap(({ kind, label, amount }) =>
    usage.summary[kind].map((u) => ({ kind, label, u, amount: amount(u) })),
  );
  const cost = usage.cost;
  const costOf = (kind: string, u: ServiceUsage) =>
    cost?.lines.find((l) => l.service === kind && l.provider === u.provider && l.model === u.model)?.cost;
  return (
    <>
      <table className="usage">
        <thead>
          <tr>
            <th scope="col">Service</th>
            <th scope="col">Provider / model</th>
            <th scope="col">Requests</th>
            <th scope="col">Used</th>
            <th scope="col">Time to first byte (p50 / max)</th>
            <th scope="col">Cost</th>
          </tr>
        </thead>
        <tbody>
          {rows.map(({ kind, label, u, amount }) => {
            const lineCost = costOf(kind, u);
            return (
              <tr key={`${kind}-${u.provider}-${u.model ?? ''}`}>
                <th scope="row">{label}</th>
                <td>
                  {u.provider}
                  {u.model !== undefined && ` / ${u.model}`}
                </td>
                <td>{u.requests}</td>
                <td>{amount}</td>
                <td>{u.ttfbMs === null ? '—' : `${u.ttfbMs.p50} / ${u.ttfbMs.max} ms`}</td>
                <td>
                  {cost === undefined
                    ? '—'
                    : lineCost === undefined
                      ? 'no price'
                      : money(lineCost, cost.currency)}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <p>
        {cost === undefined ? (
          <span className="muted">No cost estimate: the server has no price table (PRICES_FILE).</span>
        ) : (
          <>
            <strong>Estimated cost: {money(cost.total, cost.currency)}</strong>
            {cost.unpriced.length > 0 && (
              <span className="muted"> (some usage has no price and is not counted)</span>
            )}
          </>
        )}
      </p>
    </>
  );
}
