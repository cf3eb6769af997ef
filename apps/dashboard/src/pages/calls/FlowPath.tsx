import type { FlowStep } from './events.ts';

/** The flow nodes the call went through, in order, each with the function that led there. */
export function FlowPath({ steps }: { steps: readonly FlowStep[] }) {
  if (steps.length === 0) return <p className="muted">This call did not run a flow.</p>;
  return (
    <ol className="flow-path" aria-label="Flow path">
      {steps.map((step) => (
        <li key={step.seq}>
          <span className="flow-node">{step.node}</span>
          {step.functionName !== null && <span className="muted"> via {step.functionName}</span>}
        </li>
      ))}
    </ol>
  );
}
