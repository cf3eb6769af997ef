/**
 * An agent's page (`/agents/:agentId`) and the new-agent page (`/agents/new`, or
 * `/agents/new?from=<id>` to start from a copy): the agent form, links to its flow and a test
 * call, duplicate and delete. Viewers see the settings read-only.
 */
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { Link, useLocation, useNavigate, useParams, useSearchParams } from 'react-router';
import { ApiError, api } from '../../api/client.ts';
import { useCan } from '../../auth/session.tsx';
import { ConfirmAction } from '../../ui/ConfirmAction.tsx';
import { ErrorNotice } from '../../ui/ErrorNotice.tsx';
import { Loading } from '../../ui/Loading.tsx';
import { AgentForm } from './AgentForm.tsx';
import { AGENTS_KEY, type Agent, useAgent, useTools, useVendors } from './agent-api.ts';
import { type AgentFormValues, toAgentBody } from './agent-form-model.ts';
import './agents.css';

function agentPath(id: string): string {
  return `/api/agents/${encodeURIComponent(id)}`;
}

/** The agent page (see the module comment). */
export function AgentEditPage() {
  const { agentId } = useParams();
  const [search] = useSearchParams();
  const isNew = agentId === undefined;
  const copyOf = isNew ? (search.get('from') ?? undefined) : undefined;
  const agent = useAgent(agentId ?? copyOf);
  const vendors = useVendors();
  const tools = useTools();
  const canEdit = useCan('editor');
  const client = useQueryClient();
  const navigate = useNavigate();
  const location = useLocation();
  const created = (location.state as { created?: boolean } | null)?.created === true;

  const start: Agent | undefined =
    isNew && agent.data !== undefined
      ? { ...agent.data, id: `${agent.data.id}-copy`.slice(0, 64), name: `${agent.data.name} (copy)` }
      : agent.data;

  const save = async (values: AgentFormValues) => {
    const id = agentId ?? values.id;
    if (isNew && (await exists(id))) {
      throw new ApiError(409, 'agent_exists', `An agent ${id} exists already`, [
        'id: Taken by another agent; choose another id',
      ]);
    }
    const saved = await api<Agent>('PUT', agentPath(id), toAgentBody(values, start?.config));
    client.setQueryData([...AGENTS_KEY, id], saved);
    await client.invalidateQueries({ queryKey: AGENTS_KEY, exact: true });
    if (isNew)
      await navigate(`/agents/${encodeURIComponent(id)}`, { replace: true, state: { created: true } });
  };

  const title = isNew ? (copyOf ? `New agent from ${copyOf}` : 'New agent') : (agent.data?.name ?? agentId);
  const failed = agent.error ?? vendors.error ?? tools.error;
  const loading = agent.isLoading || vendors.isLoading || tools.isLoading;
  return (
    <section aria-labelledby="agent-title" className="agent-page">
      <p className="crumbs">
        <Link to="/agents">Agents</Link>
      </p>
      <h1 id="agent-title">{title}</h1>
      {agentId !== undefined && (
        <div className="toolbar">
          <Link className="button" to={`/agents/${encodeURIComponent(agentId)}/flow`}>
            Flow
          </Link>
          <Link className="button" to={`/agents/${encodeURIComponent(agentId)}/test-call`}>
            Test call
          </Link>
          {canEdit && (
            <Link className="button" to={`/agents/new?from=${encodeURIComponent(agentId)}`}>
              Duplicate
            </Link>
          )}
          {canEdit && <DeleteAgent id={agentId} />}
        </div>
      )}
      {!canEdit && <p className="notice">Your role can read this agent but not change it.</p>}
      {created && <p className="notice notice-ok">Agent created.</p>}
      {failed != null ? (
        <ErrorNotice error={failed} title="Could not load the agent" />
      ) : loading || vendors.data === undefined || tools.data === undefined ? (
        <Loading what="Loading the agent" />
      ) : (
        <AgentForm
          key={`${agentId ?? 'new'}:${copyOf ?? ''}`}
          agent={start}
          isNew={isNew}
          vendors={vendors.data}
          tools={tools.data}
          canEdit={canEdit}
          onSave={save}
        />
      )}
    </section>
  );
}

/** Whether an agent `id` exists (so that "new" does not replace it). */
async function exists(id: string): Promise<boolean> {
  try {
    await api<Agent>('GET', agentPath(id));
    return true;
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return false;
    throw error;
  }
}

/** "Delete", then a confirmation; the server refuses agents that calls refer to. */
function DeleteAgent({ id }: { id: string }) {
  const client = useQueryClient();
  const navigate = useNavigate();
  const remove = useMutation({
    mutationFn: () => api<void>('DELETE', agentPath(id)),
    onSuccess: async () => {
      client.removeQueries({ queryKey: [...AGENTS_KEY, id] });
      await client.invalidateQueries({ queryKey: AGENTS_KEY, exact: true });
      await navigate('/agents', { state: { deleted: id } });
    },
  });
  return (
    <>
      <ConfirmAction
        label="Delete"
        question={`Delete agent ${id} and its flow?`}
        confirmLabel={`Yes, delete ${id}`}
        onConfirm={() => remove.mutate()}
        pending={remove.isPending}
        onCancel={() => remove.reset()}
      />
      <ErrorNotice error={remove.error} title="Not deleted" />
    </>
  );
}
