/** The flows REST API (`apps/server/src/routes/api-flows.ts`) for the flow editor. */
import { api } from '../../api/client.ts';
import type { FlowDefinition, FlowDiff, FlowIssue, FlowVersion } from './types.ts';

const base = (agentId: string) => `/api/agents/${encodeURIComponent(agentId)}/flow`;

/** Query key of an agent's stored flow (`GET …/flow`). */
export const flowKey = (agentId: string) => ['flow', agentId] as const;

/** The agent's draft and published versions (each null when there is none). */
export function getFlow(agentId: string) {
  return api<{ draft: FlowVersion | null; published: FlowVersion | null }>('GET', base(agentId));
}

/** Saves `definition` as the draft; answers it with its warnings. Refused (400 `invalid_flow`) with errors. */
export function saveDraft(agentId: string, definition: FlowDefinition) {
  return api<FlowVersion & { issues: FlowIssue[] }>('PUT', `${base(agentId)}/draft`, { definition });
}

/** Drops the draft (404 `flow_draft_not_found` when there is none). */
export function discardDraft(agentId: string) {
  return api<void>('DELETE', `${base(agentId)}/draft`);
}

/** Checks `definition` without saving it. */
export function validateFlow(agentId: string, definition: FlowDefinition) {
  return api<{ valid: boolean; issues: FlowIssue[] }>('POST', `${base(agentId)}/validate`, { definition });
}

/** Publishes the stored draft: new calls run it. */
export function publishFlow(agentId: string) {
  return api<{ published: FlowVersion; archived: FlowVersion | null }>('POST', `${base(agentId)}/publish`);
}

/** Every version, newest first, without definitions. */
export function listVersions(agentId: string) {
  return api<{ versions: FlowVersion[] }>('GET', `${base(agentId)}/versions`);
}

/** What changed from version `from` to `to` (numbers, `draft` or `published`). */
export function diffVersions(agentId: string, from: string, to: string) {
  const query = new URLSearchParams({ from, to });
  return api<FlowDiff>('GET', `${base(agentId)}/diff?${query.toString()}`);
}

/** The server's built-in tools (`apps/server/src/calls/tools/builtin-tools.ts`); the API does not list them. */
const BUILTIN_TOOLS = [
  { id: 'end_call', name: 'end_call (built in)' },
  // Dials only the agent's `transfer.destinations`; a call of an agent without them leaves it out.
  { id: 'transfer_call', name: 'transfer_call (built in)' },
] as const;

/** Stored and built-in tools a node may offer, as `{ id, name }`. */
export async function listToolChoices(): Promise<{ id: string; name: string }[]> {
  const { tools } = await api<{ tools: { id: string; name: string }[] }>('GET', '/api/tools');
  return [...BUILTIN_TOOLS, ...tools.map((t) => ({ id: t.id, name: t.name }))];
}
