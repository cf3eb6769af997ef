import type { IssuesByNode } from './model.ts';

interface IssuesListProps {
  readonly issues: IssuesByNode;
  /** Selects the node an issue concerns (on the canvas and in the side panel). */
  readonly onSelect: (key: string) => void;
}

/**
 * The issues of the last check: those of the whole flow as text, those of a node as buttons
 * that select it.
 */
export function IssuesList({ issues, onSelect }: IssuesListProps) {
  const entries = [...issues.byNode.entries()];
  const count = issues.flow.length + entries.reduce((n, [, list]) => n + list.length, 0);
  return (
    <section className="flow-issues" aria-labelledby="flow-issues-title">
      <h2 id="flow-issues-title">Issues ({count})</h2>
      {count === 0 ? (
        <p className="muted">No issues found.</p>
      ) : (
        <ul>
          {issues.flow.map((issue) => (
            <li key={`flow|${issue.path}|${issue.message}`} className={`flow-issue-${issue.severity}`}>
              <span className="flow-issue-severity">{issue.severity}</span> {issue.path}: {issue.message}
            </li>
          ))}
          {entries.flatMap(([key, list]) =>
            list.map((issue) => (
              <li key={`${key}|${issue.path}|${issue.message}`} className={`flow-issue-${issue.severity}`}>
                <span className="flow-issue-severity">{issue.severity}</span>{' '}
                <button type="button" className="flow-link" onClick={() => onSelect(key)}>
                  {issue.path}
                </button>
                : {issue.message}
              </li>
            )),
          )}
        </ul>
      )}
    </section>
  );
}
