/** The server's roles, least trusted first (mirrors `apps/server/src/auth/roles.ts`). */
export const ROLES = ['viewer', 'editor', 'admin'] as const;

/**
 * - `viewer`: reads calls, recordings, agents and (masked) settings.
 * - `editor`: also writes agents, flows and tools, and places calls.
 * - `admin`: also writes telephony settings and manages users and API keys.
 */
export type Role = (typeof ROLES)[number];

/** Whether `role` may do what `required` may. */
export function hasRole(role: Role, required: Role): boolean {
  return ROLES.indexOf(role) >= ROLES.indexOf(required);
}
