import { zodResolver } from '@hookform/resolvers/zod';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useForm } from 'react-hook-form';
import { z } from 'zod';
import { api } from '../../api/client.ts';
import { ROLES, type Role } from '../../auth/roles.ts';
import { ConfirmAction } from '../../ui/ConfirmAction.tsx';
import { ErrorNotice } from '../../ui/ErrorNotice.tsx';
import { Field } from '../../ui/Field.tsx';
import { Loading } from '../../ui/Loading.tsx';
import './settings.css';

/** An API key as `/api/api-keys` lists it: never the key itself. */
interface ApiKey {
  readonly id: string;
  readonly name: string;
  readonly role: Role;
  /** The key's first characters, to recognise it. */
  readonly prefix: string;
  readonly createdAt: string;
  readonly lastUsedAt: string | null;
  readonly revokedAt: string | null;
}

const KEYS_KEY = ['api-keys'] as const;

const newKeySchema = z.object({
  name: z.string().trim().min(1, 'Name the key after who uses it').max(200),
  role: z.enum(ROLES),
});
type NewKey = z.infer<typeof newKeySchema>;

/** `/api-keys` (admins): keys for programs; a new key is shown once, then only its prefix. */
export function ApiKeysPage() {
  const keys = useQuery({
    queryKey: KEYS_KEY,
    queryFn: () => api<{ apiKeys: ApiKey[] }>('GET', '/api/api-keys'),
  });
  return (
    <section aria-labelledby="keys-title">
      <h1 id="keys-title">API keys</h1>
      <p className="muted">
        Programs send a key as <code>Authorization: Bearer &lt;key&gt;</code>. A key acts with its role.
      </p>
      <NewKeyForm />
      <h2 id="keys-list-title">All keys</h2>
      {keys.isLoading && <Loading what="Loading API keys" />}
      <ErrorNotice error={keys.error} title="Could not load the API keys" />
      {keys.data && keys.data.apiKeys.length === 0 && <p>No API keys yet.</p>}
      {keys.data && keys.data.apiKeys.length > 0 && (
        <table aria-labelledby="keys-list-title">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Role</th>
              <th scope="col">Key starts with</th>
              <th scope="col">Created</th>
              <th scope="col">Last used</th>
              <th scope="col">Status</th>
            </tr>
          </thead>
          <tbody>
            {keys.data.apiKeys.map((key) => (
              <KeyRow key={key.id} apiKey={key} />
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function NewKeyForm() {
  const client = useQueryClient();
  // The key lives only here, in memory, until dismissed: it is in no cache and cannot be fetched again.
  const [shown, setShown] = useState<{ name: string; key: string } | undefined>();
  const [copied, setCopied] = useState<'yes' | 'failed' | undefined>();
  const form = useForm<NewKey>({
    resolver: zodResolver(newKeySchema),
    defaultValues: { name: '', role: 'viewer' },
  });
  const create = useMutation({
    mutationFn: (body: NewKey) => api<ApiKey & { key: string }>('POST', '/api/api-keys', body),
    onSuccess: async (created) => {
      setShown({ name: created.name, key: created.key });
      setCopied(undefined);
      form.reset();
      await client.invalidateQueries({ queryKey: KEYS_KEY });
    },
  });
  const copy = async (key: string) => {
    try {
      await navigator.clipboard.writeText(key);
      setCopied('yes');
    } catch {
      setCopied('failed');
    }
  };
  const { errors } = form.formState;
  return (
    <>
      <form
        aria-labelledby="new-key-title"
        noValidate
        onSubmit={form.handleSubmit((values) => {
          setShown(undefined);
          create.mutate(values);
        })}
      >
        <h2 id="new-key-title">Create a key</h2>
        <div className="inline-form">
          <Field label="Key name" hint="Who or what uses it, e.g. CRM sync" error={errors.name?.message}>
            <input autoComplete="off" {...form.register('name')} />
          </Field>
          <Field label="Key role" error={errors.role?.message}>
            <select {...form.register('role')}>
              {ROLES.map((role) => (
                <option key={role} value={role}>
                  {role}
                </option>
              ))}
            </select>
          </Field>
          <button type="submit" className="primary" disabled={create.isPending}>
            {create.isPending ? 'Creating…' : 'Create key'}
          </button>
        </div>
        <ErrorNotice error={create.error} title="Could not create the key" />
      </form>
      {shown && (
        <div className="notice new-key" role="alert">
          <p>
            <strong>The key “{shown.name}”.</strong> Copy it now: it will not be shown again.
          </p>
          <Field label="New API key">
            <input readOnly value={shown.key} spellCheck={false} onFocus={(event) => event.target.select()} />
          </Field>
          <div className="row-actions">
            <button type="button" className="primary" onClick={() => void copy(shown.key)}>
              Copy key
            </button>
            <button type="button" onClick={() => setShown(undefined)}>
              Done, hide it
            </button>
            <span role="status">
              {copied === 'yes' && 'Copied.'}
              {copied === 'failed' && 'Could not copy: select the key and copy it by hand.'}
            </span>
          </div>
        </div>
      )}
    </>
  );
}

function KeyRow({ apiKey }: { apiKey: ApiKey }) {
  const client = useQueryClient();
  const revoke = useMutation({
    mutationFn: () => api<void>('DELETE', `/api/api-keys/${encodeURIComponent(apiKey.id)}`),
    onSuccess: () => client.invalidateQueries({ queryKey: KEYS_KEY }),
  });
  return (
    <tr>
      <td>{apiKey.name}</td>
      <td>{apiKey.role}</td>
      <td>
        <code>{apiKey.prefix}…</code>
      </td>
      <td>{new Date(apiKey.createdAt).toLocaleString()}</td>
      <td>{apiKey.lastUsedAt === null ? 'never' : new Date(apiKey.lastUsedAt).toLocaleString()}</td>
      <td>
        {apiKey.revokedAt !== null ? (
          <span>Revoked {new Date(apiKey.revokedAt).toLocaleString()}</span>
        ) : (
          <div className="row-actions">
            <span className="badge badge-ok">active</span>
            <ConfirmAction
              label={`Revoke ${apiKey.name}`}
              question="Revoke at once?"
              confirmLabel="Yes, revoke"
              onConfirm={() => revoke.mutate()}
              pending={revoke.isPending}
            />
          </div>
        )}
        <ErrorNotice error={revoke.error} />
      </td>
    </tr>
  );
}
