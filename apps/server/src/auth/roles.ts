/**
 * The roles of users and API keys, from least to most trusted.
 */
import { z } from 'zod';

/** Every role, least trusted first: a role can do everything the roles before it can. */
export const ROLES = ['viewer', 'editor', 'admin'] as const;

/**
 * - `viewer`: reads calls, recordings, agents and (masked) settings.
 * - `editor`: also writes agents and places outbound calls.
 * - `admin`: also writes telephony settings and manages users, API keys and the audit log.
 */
export type Role = (typeof ROLES)[number];

/** Validates a {@link Role}. */
export const roleSchema = z.enum(ROLES);

/** Whether `role` may do what `required` may. */
export function hasRole(role: Role, required: Role): boolean {
  return ROLES.indexOf(role) >= ROLES.indexOf(required);
}
