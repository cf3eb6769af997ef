/**
 * The agent pages' server state: agents, the vendors they can use and the stored tools, through
 * the REST API (`/api/agents`, `/api/vendors`, `/api/tools`).
 */
import { useQuery } from '@tanstack/react-query';
import { api } from '../../api/client.ts';

/** One service of an agent as stored: `provider` and that vendor's options. */
export interface ServiceConfig {
  readonly provider: string;
  readonly credential?: string;
  readonly baseUrl?: string;
  readonly responseTimeoutSecs?: number;
  readonly [option: string]: unknown;
}

/** An agent's configuration as the API returns it (see the server's `config/agent-config.ts`). */
export interface AgentConfig {
  readonly prompt: string;
  readonly greeting?: string;
  readonly language: string;
  readonly stt: ServiceConfig;
  readonly llm: ServiceConfig;
  readonly tts: ServiceConfig;
  readonly [setting: string]: unknown;
}

/** An agent as `GET /api/agents/:id` returns it. */
export interface Agent {
  readonly id: string;
  readonly name: string;
  readonly config: AgentConfig;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** The kinds of service an agent configures. */
export const SERVICE_KINDS = ['stt', 'llm', 'tts'] as const;
export type ServiceKind = (typeof SERVICE_KINDS)[number];

/** A JSON Schema (the subset `GET /api/vendors` uses: objects, strings, numbers, booleans, enums, arrays). */
export interface JsonSchema {
  readonly type?: string;
  readonly properties?: Readonly<Record<string, JsonSchema>>;
  readonly items?: JsonSchema;
  readonly enum?: readonly unknown[];
  readonly default?: unknown;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly maxItems?: number;
  readonly pattern?: string;
  readonly description?: string;
}

/** One vendor of `GET /api/vendors`. */
export interface Vendor {
  readonly provider: string;
  readonly label: string;
  /** Takes `credential` and `baseUrl`. */
  readonly access: boolean;
  readonly credentialKind?: string;
  readonly keyRequired?: boolean;
  readonly defaultBaseUrl?: string;
  /** Takes `responseTimeoutSecs`. */
  readonly responseTimeout: boolean;
  /** Its options, a JSON Schema object. */
  readonly options: JsonSchema;
}

/** Vendors by kind, the first of each being the default. */
export type Vendors = { readonly [K in ServiceKind]: readonly Vendor[] };

/** A stored webhook tool, as `GET /api/tools` lists it (only what the agent form shows). */
export interface ToolSummary {
  readonly id: string;
  readonly name: string;
  readonly description?: string;
}

/** Tools every agent may list without storing them (the server's built-ins). */
export const BUILTIN_TOOLS: readonly ToolSummary[] = [
  { id: 'end_call', name: 'end_call', description: 'Hangs up when the conversation is over' },
  {
    id: 'transfer_call',
    name: 'transfer_call',
    description: 'Transfers the call to one of the destinations under Call transfer',
  },
];

/** Query key of the agents list; invalidate it after any agent write. */
export const AGENTS_KEY = ['agents'] as const;

/** Every agent, ordered by id. */
export function useAgents() {
  return useQuery({
    queryKey: AGENTS_KEY,
    queryFn: async () => (await api<{ agents: Agent[] }>('GET', '/api/agents')).agents,
  });
}

/** One agent (disabled without an id). */
export function useAgent(id: string | undefined) {
  return useQuery({
    queryKey: [...AGENTS_KEY, id],
    queryFn: () => api<Agent>('GET', `/api/agents/${encodeURIComponent(id ?? '')}`),
    enabled: id !== undefined,
  });
}

/** The vendors and their options (they do not change while the server runs). */
export function useVendors() {
  return useQuery({
    queryKey: ['vendors'],
    queryFn: async () => (await api<{ vendors: Vendors }>('GET', '/api/vendors')).vendors,
    staleTime: Number.POSITIVE_INFINITY,
  });
}

/** The stored tools an agent may list. */
export function useTools() {
  return useQuery({
    queryKey: ['tools'],
    queryFn: async () => (await api<{ tools: ToolSummary[] }>('GET', '/api/tools')).tools,
  });
}

/** A stored credential as `GET /api/credentials` lists it: its name and kind, never its value. */
export interface CredentialSummary {
  readonly name: string;
  readonly kind: string;
  /** The origin its secret may be sent to. */
  readonly destination: string;
}

/** The stored credentials' names and kinds, to suggest for a service's `credential`. */
export function useCredentials() {
  return useQuery({
    queryKey: ['credentials'],
    queryFn: async () =>
      (await api<{ credentials: CredentialSummary[] }>('GET', '/api/credentials')).credentials,
  });
}
