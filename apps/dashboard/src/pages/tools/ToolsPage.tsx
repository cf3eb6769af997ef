import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { api } from '../../api/client.ts';
import { useCan } from '../../auth/session.tsx';
import { ErrorNotice } from '../../ui/ErrorNotice.tsx';
import { Loading } from '../../ui/Loading.tsx';
import type { Tool } from './tool-form.ts';
import './tools.css';

/** Query key of the tools list. */
export const TOOLS_KEY = ['tools'] as const;

/** The webhook tools: what each calls, and a way to add one (editors). */
export function ToolsPage() {
  const canEdit = useCan('editor');
  const tools = useQuery({
    queryKey: TOOLS_KEY,
    queryFn: () => api<{ tools: Tool[] }>('GET', '/api/tools'),
  });
  return (
    <section aria-labelledby="tools-title">
      <div className="toolbar">
        <h1 id="tools-title">Tools</h1>
        {canEdit && (
          <Link className="button primary" to="/tools/new">
            New tool
          </Link>
        )}
      </div>
      <p className="muted">
        Webhook tools an agent's LLM can call during a conversation. Add one to an agent's tools to offer it.
      </p>
      {tools.isLoading && <Loading what="Loading tools" />}
      <ErrorNotice error={tools.error} title="Could not load the tools" />
      {tools.data && tools.data.tools.length === 0 && <p>No tools yet.</p>}
      {tools.data && tools.data.tools.length > 0 && (
        <table aria-labelledby="tools-title">
          <thead>
            <tr>
              <th scope="col">Tool</th>
              <th scope="col">Function name</th>
              <th scope="col">Request</th>
              <th scope="col">Description</th>
            </tr>
          </thead>
          <tbody>
            {tools.data.tools.map((tool) => (
              <tr key={tool.id}>
                <td>
                  <Link to={`/tools/${encodeURIComponent(tool.id)}`}>{tool.id}</Link>
                </td>
                <td>
                  <code>{tool.name}</code>
                </td>
                <td className="tool-request">
                  <span className="badge">{tool.method}</span> <code>{tool.url}</code>
                </td>
                <td>{tool.description}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
