import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { type FieldPath, type UseFormRegister, useForm } from 'react-hook-form';
import { api, issuesByField } from '../../api/client.ts';
import { useCan } from '../../auth/session.tsx';
import { ErrorNotice } from '../../ui/ErrorNotice.tsx';
import { Field } from '../../ui/Field.tsx';
import { Loading } from '../../ui/Loading.tsx';
import {
  type ConnectionTestResult,
  formToBody,
  PROVIDER_LABELS,
  PROVIDERS,
  type Provider,
  SECRET_FIELDS,
  type StoredTelephonySettings,
  settingsToForm,
  type TelephonyForm,
  telephonyFieldOf,
} from './telephony-form.ts';
import './settings.css';

const SETTINGS_KEY = ['telephony-settings'] as const;

/** `/settings/telephony`: provider accounts (secrets shown only as set / not set), limits, and a connection test. */
export function TelephonyPage() {
  const settings = useQuery({
    queryKey: SETTINGS_KEY,
    queryFn: () => api<StoredTelephonySettings>('GET', '/api/telephony-settings'),
  });
  return (
    <section aria-labelledby="telephony-title">
      <h1 id="telephony-title">Telephony settings</h1>
      {settings.isLoading && <Loading what="Loading the settings" />}
      <ErrorNotice error={settings.error} title="Could not load the settings" />
      {settings.data && <TelephonyEditor stored={settings.data} />}
    </section>
  );
}

function TelephonyEditor({ stored }: { stored: StoredTelephonySettings }) {
  const canEdit = useCan('admin');
  const client = useQueryClient();
  const [saved, setSaved] = useState(false);
  const form = useForm<TelephonyForm>({ defaultValues: settingsToForm(stored) });
  const save = useMutation({
    mutationFn: (values: TelephonyForm) =>
      api<StoredTelephonySettings>('PUT', '/api/telephony-settings', formToBody(values, stored)),
    onSuccess: (next) => {
      setSaved(true);
      // The new secrets leave the form at once: only "set" remains.
      form.reset(settingsToForm(next));
      client.setQueryData(SETTINGS_KEY, next);
    },
    onError: (error) => {
      for (const [path, message] of Object.entries(issuesByField(error))) {
        const field = telephonyFieldOf(path);
        if (field !== undefined) form.setError(field as FieldPath<TelephonyForm>, { message });
      }
    },
  });
  const { errors } = form.formState;
  return (
    <form
      onSubmit={form.handleSubmit((values) => {
        setSaved(false);
        save.mutate(values);
      })}
      noValidate
      aria-label="Telephony settings"
    >
      {!canEdit && <p className="notice">Only admins can change these settings.</p>}
      <fieldset disabled={!canEdit} className="plain">
        <div className="grid-2">
          <Field
            label="Default provider"
            hint="For outbound calls that name none"
            error={errors.defaultProvider?.message}
          >
            <select {...form.register('defaultProvider')}>
              <option value="">None (the only configured one)</option>
              {PROVIDERS.map((p) => (
                <option key={p} value={p}>
                  {PROVIDER_LABELS[p]}
                </option>
              ))}
            </select>
          </Field>
          <Field
            label="Most simultaneous calls"
            hint="Empty: the server's default"
            error={errors.maxConcurrentCalls?.message}
          >
            <input inputMode="numeric" {...form.register('maxConcurrentCalls')} />
          </Field>
        </div>
        {PROVIDERS.map((provider) => (
          <ProviderSection
            key={provider}
            provider={provider}
            stored={stored}
            register={form.register}
            error={(field) => fieldError(errors, `${provider}.${field}`)}
          />
        ))}
      </fieldset>
      {save.error != null && <ErrorNotice error={save.error} title="Could not save" />}
      {saved && save.error == null && !save.isPending && (
        <p className="notice notice-ok" role="status">
          Saved.
        </p>
      )}
      {canEdit && (
        <button type="submit" className="primary" disabled={save.isPending}>
          {save.isPending ? 'Saving…' : 'Save settings'}
        </button>
      )}
      {canEdit && <ConnectionTests />}
    </form>
  );
}

function fieldError(errors: ReturnType<typeof useForm<TelephonyForm>>['formState']['errors'], path: string) {
  const [provider, key] = path.split('.') as [Provider, string];
  const section = errors[provider] as Record<string, { message?: string } | undefined> | undefined;
  return section?.[key]?.message;
}

interface ProviderSectionProps {
  readonly provider: Provider;
  readonly stored: StoredTelephonySettings;
  readonly register: UseFormRegister<TelephonyForm>;
  readonly error: (field: string) => string | undefined;
}

/** One provider's account: its ids, its secret (set / not set, and a field to replace it) and its API base URL. */
function ProviderSection({ provider, stored, register, error }: ProviderSectionProps) {
  const secret = SECRET_FIELDS[provider];
  const credential = stored[provider].credential;
  const reg = (key: string) => register(`${provider}.${key}` as FieldPath<TelephonyForm>);
  return (
    <fieldset>
      <legend>{PROVIDER_LABELS[provider]}</legend>
      <div className="grid-2">
        {provider === 'twilio' && (
          <Field label="Twilio account SID" hint="AC and 32 hex digits" error={error('accountSid')}>
            <input autoComplete="off" spellCheck={false} {...reg('accountSid')} />
          </Field>
        )}
        {provider === 'exotel' && (
          <>
            <Field label="Exotel account SID" error={error('accountSid')}>
              <input autoComplete="off" spellCheck={false} {...reg('accountSid')} />
            </Field>
            <Field label="Exotel API key" hint="The REST user name" error={error('apiKey')}>
              <input autoComplete="off" spellCheck={false} {...reg('apiKey')} />
            </Field>
          </>
        )}
        {provider === 'vobiz' && (
          <Field label="Vobiz auth ID" error={error('authId')}>
            <input autoComplete="off" spellCheck={false} {...reg('authId')} />
          </Field>
        )}
        <div className="secret">
          <p className="secret-status">
            {PROVIDER_LABELS[provider]} {secret.label}:{' '}
            {credential === undefined ? (
              <span className="badge">not set</span>
            ) : (
              <>
                <span className="badge badge-ok">set</span>{' '}
                <span className="muted">(credential “{credential}”)</span>
              </>
            )}
          </p>
          <Field
            label={`Replace ${PROVIDER_LABELS[provider]} ${secret.label}`}
            hint="Leave empty to keep the current one; it is never shown again"
            error={error(secret.field)}
          >
            <input type="password" autoComplete="new-password" spellCheck={false} {...reg(secret.field)} />
          </Field>
        </div>
        <Field
          label={`${PROVIDER_LABELS[provider]} API base URL`}
          hint="Empty: the vendor's"
          error={error('apiBaseUrl')}
        >
          <input autoComplete="off" spellCheck={false} {...reg('apiBaseUrl')} />
        </Field>
        {provider === 'exotel' && (
          <Field
            label="Exotel allowed IP addresses"
            hint="One per line; empty: streams from any address"
            error={error('allowedIps')}
          >
            <textarea rows={3} spellCheck={false} {...reg('allowedIps')} />
          </Field>
        )}
      </div>
    </fieldset>
  );
}

/** "Test connection" per provider: asks the server to try the saved credentials on the provider's account API. */
function ConnectionTests() {
  const test = useMutation({
    mutationFn: (provider: Provider) =>
      api<ConnectionTestResult>('POST', '/api/telephony-settings/test', { provider }),
  });
  return (
    <section aria-labelledby="connection-test-title" className="connection-tests">
      <h2 id="connection-test-title">Test connection</h2>
      <p className="muted">
        Tries the saved credentials against the provider's account API (save changes first).
      </p>
      <div className="toolbar">
        {PROVIDERS.map((provider) => (
          <button
            key={provider}
            type="button"
            onClick={() => test.mutate(provider)}
            disabled={test.isPending}
          >
            Test {PROVIDER_LABELS[provider]} connection
          </button>
        ))}
      </div>
      <div role="status" aria-live="polite">
        {test.isPending && <p className="muted">Testing {PROVIDER_LABELS[test.variables]}…</p>}
        {test.data && !test.isPending && (
          <p className={test.data.ok ? 'notice notice-ok' : 'notice notice-error'}>
            {test.data.message}
            {test.data.ok && test.data.status !== null && <> (HTTP {test.data.status})</>}
          </p>
        )}
      </div>
      <ErrorNotice error={test.error} title="Could not test the connection" />
    </section>
  );
}
