import { zodResolver } from '@hookform/resolvers/zod';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { type FieldPath, useForm } from 'react-hook-form';
import { z } from 'zod';
import { api, issuesByField } from '../../api/client.ts';
import { ROLES, type Role } from '../../auth/roles.ts';
import { useSession } from '../../auth/session.tsx';
import { ErrorNotice } from '../../ui/ErrorNotice.tsx';
import { Field } from '../../ui/Field.tsx';
import { Loading } from '../../ui/Loading.tsx';
import './settings.css';

/** A user as `/api/users` answers (never a password or its hash). */
interface User {
  readonly id: string;
  readonly username: string;
  readonly role: Role;
  readonly createdAt: string;
  readonly updatedAt: string;
}

const USERS_KEY = ['users'] as const;

const newUserSchema = z.object({
  username: z
    .string()
    .trim()
    .regex(/^[a-zA-Z0-9][a-zA-Z0-9._-]{0,63}$/, 'Letters, digits, ".", "_" and "-" (at most 64)'),
  password: z.string().min(10, 'At least 10 characters'),
  role: z.enum(ROLES),
});
type NewUser = z.infer<typeof newUserSchema>;

/** `/users` (admins): who can sign in, with what role; add, change role, reset password, delete. */
export function UsersPage() {
  const users = useQuery({ queryKey: USERS_KEY, queryFn: () => api<{ users: User[] }>('GET', '/api/users') });
  return (
    <section aria-labelledby="users-title">
      <h1 id="users-title">Users</h1>
      <p className="muted">
        Viewers read calls and settings; editors also change agents, flows and tools; admins also manage
        telephony settings, users and API keys.
      </p>
      <NewUserForm />
      <h2 id="users-list-title">All users</h2>
      {users.isLoading && <Loading what="Loading users" />}
      <ErrorNotice error={users.error} title="Could not load the users" />
      {users.data && (
        <table aria-labelledby="users-list-title">
          <thead>
            <tr>
              <th scope="col">Username</th>
              <th scope="col">Role</th>
              <th scope="col">Created</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {users.data.users.map((user) => (
              <UserRow key={user.id} user={user} />
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function NewUserForm() {
  const client = useQueryClient();
  const [created, setCreated] = useState<string | undefined>();
  const form = useForm<NewUser>({
    resolver: zodResolver(newUserSchema),
    defaultValues: { username: '', password: '', role: 'viewer' },
  });
  const create = useMutation({
    mutationFn: (body: NewUser) => api<User>('POST', '/api/users', body),
    onSuccess: async (user) => {
      setCreated(user.username);
      form.reset();
      await client.invalidateQueries({ queryKey: USERS_KEY });
    },
    onError: (error) => {
      for (const [path, message] of Object.entries(issuesByField(error))) {
        if (path === 'username' || path === 'password' || path === 'role') {
          form.setError(path as FieldPath<NewUser>, { message });
        }
      }
    },
  });
  const { errors } = form.formState;
  return (
    <form
      aria-labelledby="new-user-title"
      noValidate
      onSubmit={form.handleSubmit((values) => {
        setCreated(undefined);
        create.mutate(values);
      })}
    >
      <h2 id="new-user-title">Add a user</h2>
      <div className="inline-form">
        <Field label="Username" error={errors.username?.message}>
          <input autoComplete="off" {...form.register('username')} />
        </Field>
        <Field label="Password" hint="At least 10 characters" error={errors.password?.message}>
          <input type="password" autoComplete="new-password" {...form.register('password')} />
        </Field>
        <Field label="Role" error={errors.role?.message}>
          <select {...form.register('role')}>
            {ROLES.map((role) => (
              <option key={role} value={role}>
                {role}
              </option>
            ))}
          </select>
        </Field>
        <button type="submit" className="primary" disabled={create.isPending}>
          {create.isPending ? 'Adding…' : 'Add user'}
        </button>
      </div>
      <ErrorNotice error={create.error} title="Could not add the user" />
      {created !== undefined && (
        <p className="notice notice-ok" role="status">
          Added {created}.
        </p>
      )}
    </form>
  );
}

/** One user: change role, set a new password (ends their sessions), delete (with a confirmation). */
function UserRow({ user }: { user: User }) {
  const client = useQueryClient();
  const { principal } = useSession();
  const self = principal?.type === 'user' && principal.id === user.id;
  const [mode, setMode] = useState<'idle' | 'password' | 'delete'>('idle');
  const [password, setPassword] = useState('');
  const refresh = () => client.invalidateQueries({ queryKey: USERS_KEY });
  const change = useMutation({
    mutationFn: (body: { role?: Role; password?: string }) =>
      api<User>('PATCH', `/api/users/${encodeURIComponent(user.id)}`, body),
    onSuccess: async () => {
      setMode('idle');
      setPassword('');
      await refresh();
    },
  });
  const remove = useMutation({
    mutationFn: () => api<void>('DELETE', `/api/users/${encodeURIComponent(user.id)}`),
    onSuccess: refresh,
  });
  return (
    <tr>
      <td>
        {user.username} {self && <span className="badge">you</span>}
      </td>
      <td>
        <label className="visually-hidden" htmlFor={`role-${user.id}`}>
          Role of {user.username}
        </label>
        <select
          id={`role-${user.id}`}
          value={user.role}
          disabled={change.isPending}
          onChange={(event) => change.mutate({ role: event.target.value as Role })}
        >
          {ROLES.map((role) => (
            <option key={role} value={role}>
              {role}
            </option>
          ))}
        </select>
      </td>
      <td>{new Date(user.createdAt).toLocaleString()}</td>
      <td>
        <div className="row-actions">
          {mode === 'idle' && (
            <>
              <button type="button" onClick={() => setMode('password')}>
                Set password of {user.username}
              </button>
              <button type="button" className="danger" onClick={() => setMode('delete')}>
                Delete {user.username}
              </button>
            </>
          )}
          {mode === 'password' && (
            <form
              className="row-actions"
              onSubmit={(event) => {
                event.preventDefault();
                change.mutate({ password });
              }}
            >
              <label htmlFor={`password-${user.id}`}>New password of {user.username}</label>
              <input
                id={`password-${user.id}`}
                type="password"
                autoComplete="new-password"
                minLength={10}
                value={password}
                onChange={(event) => setPassword(event.target.value)}
              />
              <button type="submit" className="primary" disabled={change.isPending}>
                Set password
              </button>
              <button type="button" onClick={() => setMode('idle')}>
                Cancel
              </button>
            </form>
          )}
          {mode === 'delete' && (
            <>
              <span>Delete {user.username}? Their sessions end.</span>
              <button
                type="button"
                className="danger"
                onClick={() => remove.mutate()}
                disabled={remove.isPending}
              >
                Yes, delete
              </button>
              <button type="button" onClick={() => setMode('idle')}>
                Cancel
              </button>
            </>
          )}
        </div>
        <ErrorNotice error={change.error ?? remove.error} />
      </td>
    </tr>
  );
}
