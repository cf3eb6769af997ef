import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { ErrorNotice } from '../../ui/ErrorNotice.tsx';
import { Field } from '../../ui/Field.tsx';
import { Loading } from '../../ui/Loading.tsx';
import { diffVersions, listVersions } from './flow-api.ts';
import type { FlowDiff, FlowVersion } from './types.ts';

/** Query key of an agent's version list; invalidate it after saving or publishing. */
export const versionsKey = (agentId: string) => ['flow', agentId, 'versions'] as const;

/** The agent's flow versions, newest first, and a node-by-node diff between any two. */
export function VersionsPanel({ agentId }: { agentId: string }) {
  const versions = useQuery({ queryKey: versionsKey(agentId), queryFn: () => listVersions(agentId) });
  const list = versions.data?.versions ?? [];
  return (
    <section className="flow-versions" aria-labelledby="flow-versions-title">
      <h2 id="flow-versions-title">Versions</h2>
      {versions.isLoading && <Loading what="Loading versions" />}
      <ErrorNotice error={versions.error} title="Could not load the versions" />
      {versions.isSuccess && list.length === 0 && <p className="muted">Nothing saved yet.</p>}
      {list.length > 0 && (
        <table>
          <caption className="flow-sr-only">Flow versions, newest first</caption>
          <thead>
            <tr>
              <th scope="col">Version</th>
              <th scope="col">Status</th>
              <th scope="col">Saved by</th>
              <th scope="col">Last change</th>
              <th scope="col">Published</th>
            </tr>
          </thead>
          <tbody>
            {list.map((v) => (
              <tr key={v.id}>
                <td>{v.version}</td>
                <td>
                  <span className={`flow-status flow-status-${v.status}`}>{v.status}</span>
                </td>
                <td>{v.createdBy ?? '—'}</td>
                <td>{formatDate(v.updatedAt)}</td>
                <td>{v.publishedAt === null ? '—' : formatDate(v.publishedAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {list.length >= 2 && <DiffPicker agentId={agentId} versions={list} />}
      {list.length === 1 && <p className="muted">Save another version to compare two.</p>}
    </section>
  );
}

function formatDate(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString();
}

function DiffPicker({ agentId, versions }: { agentId: string; versions: readonly FlowVersion[] }) {
  const [from, setFrom] = useState(String(versions[1]?.version ?? ''));
  const [to, setTo] = useState(String(versions[0]?.version ?? ''));
  const [compared, setCompared] = useState<{ from: string; to: string } | undefined>();
  const diff = useQuery({
    queryKey: ['flow', agentId, 'diff', compared?.from, compared?.to],
    queryFn: () => diffVersions(agentId, compared?.from ?? '', compared?.to ?? ''),
    enabled: compared !== undefined,
  });
  const options = versions.map((v) => (
    <option key={v.id} value={String(v.version)}>
      {v.version} ({v.status})
    </option>
  ));
  return (
    <form
      className="flow-diff-form"
      aria-labelledby="flow-diff-title"
      onSubmit={(e) => {
        e.preventDefault();
        setCompared({ from, to });
      }}
    >
      <h3 id="flow-diff-title">Compare versions</h3>
      <div className="toolbar">
        <Field label="From version">
          <select value={from} onChange={(e) => setFrom(e.target.value)}>
            {options}
          </select>
        </Field>
        <Field label="To version">
          <select value={to} onChange={(e) => setTo(e.target.value)}>
            {options}
          </select>
        </Field>
        <button type="submit">Compare</button>
      </div>
      {diff.isFetching && <Loading what="Comparing" />}
      <ErrorNotice error={diff.error} title="Could not compare" />
      {diff.data && <DiffView diff={diff.data} />}
    </form>
  );
}

/** What changed between two versions, node by node and field by field. */
export function DiffView({ diff }: { diff: FlowDiff }) {
  const nothing =
    diff.addedNodes.length +
      diff.removedNodes.length +
      diff.changedNodes.length +
      diff.changedGlobalFunctions.length ===
    0;
  return (
    <section className="flow-diff" aria-labelledby="flow-diff-result">
      <h4 id="flow-diff-result">
        Changes from version {diff.from} to version {diff.to}
      </h4>
      {nothing && <p>The two versions are the same.</p>}
      {!nothing && (
        <table>
          <thead>
            <tr>
              <th scope="col">Node</th>
              <th scope="col">Change</th>
              <th scope="col">Fields</th>
            </tr>
          </thead>
          <tbody>
            {diff.addedNodes.map((key) => (
              <tr key={`added|${key}`} className="flow-diff-added">
                <td>{key}</td>
                <td>added</td>
                <td>—</td>
              </tr>
            ))}
            {diff.removedNodes.map((key) => (
              <tr key={`removed|${key}`} className="flow-diff-removed">
                <td>{key}</td>
                <td>removed</td>
                <td>—</td>
              </tr>
            ))}
            {diff.changedNodes.map((node) => (
              <tr key={`changed|${node.key}`} className="flow-diff-changed">
                <td>{node.key}</td>
                <td>changed</td>
                <td>
                  <ul className="flow-diff-fields">
                    {node.fields.map((field) => (
                      <li key={field}>
                        <code>{field}</code>
                      </li>
                    ))}
                  </ul>
                </td>
              </tr>
            ))}
            {diff.changedGlobalFunctions.length > 0 && (
              <tr className="flow-diff-changed">
                <td>(global functions)</td>
                <td>changed</td>
                <td>{diff.changedGlobalFunctions.join(', ')}</td>
              </tr>
            )}
          </tbody>
        </table>
      )}
    </section>
  );
}
