import { useQuery } from '@tanstack/react-query';
import { lazy, Suspense } from 'react';
import { Link, useParams } from 'react-router';
import { api } from '../../api/client.ts';
import { useCan } from '../../auth/session.tsx';
import { ErrorNotice } from '../../ui/ErrorNotice.tsx';
import { Loading } from '../../ui/Loading.tsx';
import { flowKey, getFlow } from './flow-api.ts';
import './flow-editor.css';

/** The editor and its canvas library load only when a flow is opened. */
const FlowEditor = lazy(async () => ({ default: (await import('./FlowEditor.tsx')).FlowEditor }));

/**
 * `/agents/:agentId/flow`: the agent's flow on a canvas, with the selected node's settings,
 * the last check's issues, and the versions. Editors and admins change it; viewers read it.
 */
export function FlowEditorPage() {
  const { agentId = '' } = useParams();
  const canEdit = useCan('editor');
  const agent = useQuery({
    queryKey: ['agent', agentId],
    queryFn: () => api<{ id: string; name: string }>('GET', `/api/agents/${encodeURIComponent(agentId)}`),
  });
  const flow = useQuery({ queryKey: flowKey(agentId), queryFn: () => getFlow(agentId), staleTime: Infinity });
  const name = agent.data?.name ?? agentId;
  return (
    <section className="flow-page" aria-labelledby="flow-title">
      <p className="flow-breadcrumb">
        <Link to="/agents">Agents</Link> / <Link to={`/agents/${encodeURIComponent(agentId)}`}>{name}</Link>
      </p>
      <h1 id="flow-title">Flow of {name}</h1>
      {flow.isLoading && <Loading what="Loading the flow" />}
      <ErrorNotice error={flow.error} title="Could not load the flow" />
      {flow.data && (
        <Suspense fallback={<Loading what="Loading the editor" />}>
          <FlowEditor
            // A fresh editor when the stored flow is reloaded (after discarding the draft).
            key={flow.dataUpdatedAt}
            agentId={agentId}
            stored={flow.data}
            readOnly={!canEdit}
          />
        </Suspense>
      )}
    </section>
  );
}
