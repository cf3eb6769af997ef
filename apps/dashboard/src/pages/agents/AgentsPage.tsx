/**
 * The agents list (`/agents`): each agent with its language and services, links to its
 * settings, flow and test call; for editors, "New agent" and "Generate from a description".
 */
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { Link, useLocation, useNavigate } from 'react-router';
import { api } from '../../api/client.ts';
import { useCan } from '../../auth/session.tsx';
import { ErrorNotice } from '../../ui/ErrorNotice.tsx';
import { Field } from '../../ui/Field.tsx';
import { Loading } from '../../ui/Loading.tsx';
import { AGENTS_KEY, type Agent, SERVICE_KINDS, type ServiceConfig, useAgents } from './agent-api.ts';
import { KIND_LABELS } from './ServiceFields.tsx';
import './agents.css';

/** `openai gpt-4o-mini`: the provider and, when set, its model or voice. */
function serviceSummary(service: ServiceConfig): string {
  const detail = service.model ?? service.voice;
  return typeof detail === 'string' ? `${service.provider} ${detail}` : service.provider;
}

/** The agents list (see the module comment). */
export function AgentsPage() {
  const agents = useAgents();
  const canEdit = useCan('editor');
  const location = useLocation();
  const deleted = (location.state as { deleted?: string } | null)?.deleted;
  return (
    <section aria-labelledby="agents-title" className="agents-page">
      <h1 id="agents-title">Agents</h1>
      {deleted !== undefined && <p className="notice notice-ok">Agent {deleted} deleted.</p>}
      {canEdit && (
        <div className="toolbar">
          <Link className="button primary" to="/agents/new">
            New agent
          </Link>
        </div>
      )}
      {agents.error != null ? (
        <ErrorNotice error={agents.error} title="Could not load the agents" />
      ) : agents.data === undefined ? (
        <Loading what="Loading agents" />
      ) : agents.data.length === 0 ? (
        <p>No agents yet.</p>
      ) : (
        <AgentTable agents={agents.data} />
      )}
      {canEdit && <GenerateAgent />}
    </section>
  );
}

function AgentTable({ agents }: { agents: readonly Agent[] }) {
  return (
    <table>
      <caption className="visually-hidden">Agents, by id</caption>
      <thead>
        <tr>
          <th scope="col">Agent</th>
          <th scope="col">Language</th>
          <th scope="col">Services</th>
          <th scope="col">Open</th>
        </tr>
      </thead>
      <tbody>
        {agents.map((agent) => {
          const id = encodeURIComponent(agent.id);
          return (
            <tr key={agent.id}>
              <td>
                <Link to={`/agents/${id}`}>{agent.name}</Link>
                <br />
                <code className="muted">{agent.id}</code>
              </td>
              <td>{agent.config.language}</td>
              <td>
                <dl className="services">
                  {SERVICE_KINDS.map((kind) => (
                    <div key={kind}>
                      <dt>{KIND_LABELS[kind]}</dt>
                      <dd>{serviceSummary(agent.config[kind])}</dd>
                    </div>
                  ))}
                </dl>
              </td>
              <td>
                <ul className="row-links">
                  <li>
                    <Link to={`/agents/${id}`} aria-label={`Settings of ${agent.name}`}>
                      Settings
                    </Link>
                  </li>
                  <li>
                    <Link to={`/agents/${id}/flow`} aria-label={`Flow of ${agent.name}`}>
                      Flow
                    </Link>
                  </li>
                  <li>
                    <Link to={`/agents/${id}/test-call`} aria-label={`Test call with ${agent.name}`}>
                      Test call
                    </Link>
                  </li>
                </ul>
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

interface Generated {
  readonly agent: Agent;
}

/** "Generate from a description": the server's LLM writes an agent (and a draft flow). */
function GenerateAgent() {
  const [description, setDescription] = useState('');
  const [tooShort, setTooShort] = useState(false);
  const client = useQueryClient();
  const navigate = useNavigate();
  const generate = useMutation({
    mutationFn: (text: string) => api<Generated>('POST', '/api/agents/generate', { description: text }),
    onSuccess: async ({ agent }) => {
      client.setQueryData([...AGENTS_KEY, agent.id], agent);
      await client.invalidateQueries({ queryKey: AGENTS_KEY, exact: true });
      await navigate(`/agents/${encodeURIComponent(agent.id)}`, { state: { created: true } });
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const text = description.trim();
    setTooShort(text.length < 10);
    if (text.length >= 10) generate.mutate(text);
  };
  return (
    <section aria-labelledby="generate-title" className="generate">
      <h2 id="generate-title">Generate from a description</h2>
      <form onSubmit={submit} noValidate>
        <Field
          label="What should the agent do?"
          hint="In plain words; the server's language model writes the agent and a draft flow to review"
          error={tooShort ? 'Describe the agent in at least 10 characters' : undefined}
        >
          <textarea
            rows={4}
            value={description}
            maxLength={4000}
            onChange={(e) => setDescription(e.target.value)}
          />
        </Field>
        <ErrorNotice error={generate.error} title="Not generated" />
        <button type="submit" disabled={generate.isPending}>
          {generate.isPending ? 'Generating…' : 'Generate agent'}
        </button>
      </form>
    </section>
  );
}
