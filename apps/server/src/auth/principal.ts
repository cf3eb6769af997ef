/**
 * Who a request comes from, once the guard has authenticated it.
 */
import type { AuditActor } from '../db/audit-log.ts';
import type { Role } from './roles.ts';

/** A signed-in user or an API key, with the role it acts with. */
export interface Principal {
  readonly type: 'user' | 'api_key';
  /** The user's or the key's id. */
  readonly id: string;
  /** The username or the key's name. */
  readonly name: string;
  readonly role: Role;
}

/** How a request proved who it is. */
export type Authentication =
  | { readonly via: 'api_key'; readonly principal: Principal }
  | {
      readonly via: 'session';
      readonly principal: Principal;
      /** SHA-256 (hex) of the session id. */
      readonly sessionIdHash: string;
      readonly csrfSecret: string;
      /** The absolute end of the session. */
      readonly expiresAt: Date;
    };

/** The audit log's actor for `principal`. */
export function auditActor(principal: Principal): AuditActor {
  return { type: principal.type, id: principal.id, name: principal.name };
}
