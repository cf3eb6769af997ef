import { useQuery, useQueryClient } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { Navigate, useLocation } from 'react-router';
import { ApiError, api, setCsrfToken } from '../api/client.ts';
import { Loading } from '../ui/Loading.tsx';
import { hasRole, type Role } from './roles.ts';

/** Who is signed in, as `GET /api/auth/me` tells. */
export interface Principal {
  readonly type: 'user' | 'api_key';
  readonly id: string;
  readonly name: string;
  readonly role: Role;
}

interface MeResponse {
  readonly principal: Principal;
  readonly csrfToken?: string;
}

/** Query key of the signed-in principal; invalidate it after signing in or out. */
export const SESSION_KEY = ['session'] as const;

/** The signed-in principal (`null` when nobody is), loading while the first answer is awaited. */
export function useSession(): { principal: Principal | null | undefined; isLoading: boolean } {
  const query = useQuery({
    queryKey: SESSION_KEY,
    queryFn: async (): Promise<Principal | null> => {
      try {
        const me = await api<MeResponse>('GET', '/api/auth/me');
        setCsrfToken(me.csrfToken);
        return me.principal;
      } catch (error) {
        if (error instanceof ApiError && error.status === 401) return null;
        throw error;
      }
    },
    staleTime: 60_000,
  });
  return { principal: query.data, isLoading: query.isLoading };
}

/** Whether the signed-in principal has at least `required`. The API refuses anyway. */
export function useCan(required: Role): boolean {
  const { principal } = useSession();
  return principal != null && hasRole(principal.role, required);
}

/** Forget the session: the next query asks the server again. */
export function useSessionReset(): () => Promise<void> {
  const client = useQueryClient();
  return async () => {
    setCsrfToken(undefined);
    client.clear();
    await client.invalidateQueries({ queryKey: SESSION_KEY });
  };
}

/** Renders `children` for a signed-in principal with at least `minRole` (any role by default); else sends to sign-in. */
export function RequireSession({ minRole, children }: { minRole?: Role; children: ReactNode }) {
  const { principal, isLoading } = useSession();
  const location = useLocation();
  if (isLoading) return <Loading />;
  if (principal == null) return <Navigate to="/login" replace state={{ from: location.pathname }} />;
  if (minRole !== undefined && !hasRole(principal.role, minRole)) {
    return (
      <section aria-labelledby="forbidden-title">
        <h1 id="forbidden-title">Not allowed</h1>
        <p>
          Your role ({principal.role}) cannot open this page; it needs {minRole}.
        </p>
      </section>
    );
  }
  return <>{children}</>;
}
