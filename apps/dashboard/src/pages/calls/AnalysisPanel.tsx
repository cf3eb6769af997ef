/** The post-call analysis as stored in `calls.analysis` (see `apps/server/src/post-call/analysis.ts`). */
export function AnalysisPanel({ analysis }: { analysis: Readonly<Record<string, unknown>> }) {
  if (analysis.status === 'failed') {
    return (
      <p className="notice notice-error">
        The analysis failed: {String(analysis.error ?? 'no reason given')}
      </p>
    );
  }
  const fields =
    typeof analysis.fields === 'object' && analysis.fields !== null
      ? Object.entries(analysis.fields as Record<string, unknown>)
      : [];
  return (
    <dl className="facts">
      {typeof analysis.summary === 'string' && (
        <div className="facts-row">
          <dt>Summary</dt>
          <dd>{analysis.summary}</dd>
        </div>
      )}
      {typeof analysis.disposition === 'string' && (
        <div className="facts-row">
          <dt>Disposition</dt>
          <dd>{analysis.disposition}</dd>
        </div>
      )}
      {fields.map(([name, value]) => (
        <div key={name} className="facts-row">
          <dt>{name}</dt>
          <dd>{value === null ? <span className="muted">not given</span> : String(value)}</dd>
        </div>
      ))}
    </dl>
  );
}
