import { useMutation } from '@tanstack/react-query';
import { NavLink, Outlet, useNavigate } from 'react-router';
import { api } from '../api/client.ts';
import { hasRole, type Role } from '../auth/roles.ts';
import { useSession, useSessionReset } from '../auth/session.tsx';

const LINKS: readonly { to: string; label: string; role: Role }[] = [
  { to: '/agents', label: 'Agents', role: 'viewer' },
  { to: '/tools', label: 'Tools', role: 'viewer' },
  { to: '/calls', label: 'Calls', role: 'viewer' },
  { to: '/live', label: 'Live', role: 'viewer' },
  { to: '/settings/telephony', label: 'Telephony', role: 'viewer' },
  { to: '/users', label: 'Users', role: 'admin' },
  { to: '/api-keys', label: 'API keys', role: 'admin' },
];

/** The signed-in frame: navigation (only what the role may open), who is signed in, sign-out. */
export function Shell() {
  const { principal } = useSession();
  const reset = useSessionReset();
  const navigate = useNavigate();
  const logout = useMutation({
    mutationFn: () => api<void>('POST', '/api/auth/logout'),
    onSettled: async () => {
      await reset();
      await navigate('/login');
    },
  });
  const role = principal?.role ?? 'viewer';
  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <span className="brand">Parley</span>
        <nav aria-label="Main">
          <ul>
            {LINKS.filter((link) => hasRole(role, link.role)).map((link) => (
              <li key={link.to}>
                <NavLink to={link.to}>{link.label}</NavLink>
              </li>
            ))}
          </ul>
        </nav>
        <div className="who">
          <span>
            {principal?.name} <span className="badge">{role}</span>
          </span>
          <button type="button" onClick={() => logout.mutate()} disabled={logout.isPending}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main">
        <Outlet />
      </main>
    </>
  );
}
