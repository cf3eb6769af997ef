/**
 * The agent form: every setting of an agent's configuration, validated with zod as typed and
 * checked again by the server, whose refusals are shown at the field they concern. Viewers see
 * it read-only.
 */
import { zodResolver } from '@hookform/resolvers/zod';
import { useEffect, useState } from 'react';
import { FormProvider, useController, useFieldArray, useForm, useFormContext } from 'react-hook-form';
import { ApiError, issuesByField } from '../../api/client.ts';
import { Field } from '../../ui/Field.tsx';
import {
  type Agent,
  BUILTIN_TOOLS,
  SERVICE_KINDS,
  type ServiceKind,
  type ToolSummary,
  type Vendors,
} from './agent-api.ts';
import {
  type AgentFormValues,
  agentFormSchema,
  fieldOfIssue,
  formFieldNames,
  toFormValues,
} from './agent-form-model.ts';
import {
  BooleanField,
  ChoiceField,
  LinesField,
  NumberField,
  RequiredTextField,
  TextField,
} from './fields.tsx';
import { KIND_LABELS, ServiceFields } from './ServiceFields.tsx';
import { TransferFields } from './TransferFields.tsx';

interface AgentFormProps {
  /** The agent to edit, or the one to start a new agent from (a copy); none: a blank agent. */
  readonly agent?: Agent | undefined;
  /** Whether the id can be chosen (a new agent). */
  readonly isNew: boolean;
  readonly vendors: Vendors;
  readonly tools: readonly ToolSummary[];
  /** False for viewers: every control is disabled and there is no save button. */
  readonly canEdit: boolean;
  /** Saves valid values; rejects with the API's {@link ApiError} (its issues go to their fields). */
  readonly onSave: (values: AgentFormValues) => Promise<void>;
}

/** The whole agent form (see the module comment). */
export function AgentForm({ agent, isNew, vendors, tools, canEdit, onSave }: AgentFormProps) {
  const form = useForm<AgentFormValues>({
    resolver: zodResolver(agentFormSchema(vendors)),
    defaultValues: toFormValues(agent, vendors),
    mode: 'onSubmit',
    reValidateMode: 'onChange',
  });
  const [refusal, setRefusal] = useState<{ message: string; unplaced: string[] } | undefined>();
  const [saved, setSaved] = useState(false);
  // "Saved" stands until anything changes (isDirty would miss a removed row: see Failover).
  useEffect(() => {
    const subscription = form.watch(() => setSaved(false));
    return () => subscription.unsubscribe();
  }, [form]);

  const submit = form.handleSubmit(async (values) => {
    setRefusal(undefined);
    setSaved(false);
    try {
      await onSave(values);
      form.reset(values);
      setSaved(true);
    } catch (error) {
      const fields = formFieldNames(values, vendors);
      const unplaced: string[] = [];
      let first: string | undefined;
      for (const [path, message] of Object.entries(issuesByField(error))) {
        const field = fieldOfIssue(path, fields);
        if (field === '') {
          unplaced.push(path === '' ? message : `${path}: ${message}`);
          continue;
        }
        form.setError(field as 'name', { type: 'server', message });
        first ??= field;
      }
      if (first !== undefined) form.setFocus(first as 'name');
      const message = error instanceof Error ? error.message : 'Saving failed';
      const placed = error instanceof ApiError && unplaced.length < error.issues.length;
      setRefusal({ message: placed ? `${message}: see the fields marked below` : message, unplaced });
    }
  });

  const invalidCount = Object.keys(form.formState.errors).length;
  return (
    <FormProvider {...form}>
      <form onSubmit={submit} noValidate aria-label="Agent settings">
        <fieldset disabled={!canEdit || form.formState.isSubmitting} className="plain">
          <section aria-labelledby="agent-basics">
            <h2 id="agent-basics">Agent</h2>
            <div className="grid-2">
              {isNew ? (
                <RequiredTextField
                  name="id"
                  label="Id"
                  hint='Lower-case letters, digits and "-"; used in phone URLs'
                />
              ) : (
                <Field label="Id" hint="Fixed once saved; duplicate the agent to use another">
                  <input value={agent?.id ?? ''} readOnly />
                </Field>
              )}
              <RequiredTextField name="name" label="Name" />
              <RequiredTextField name="language" label="Language" hint="BCP 47, e.g. en-US or hi-IN" />
              <TextField
                name="greeting"
                label="Greeting"
                hint="Said when the call connects; empty: wait for the caller"
              />
            </div>
            <RequiredTextField
              name="prompt"
              label="Prompt"
              multiline
              rows={8}
              hint="The system prompt; {{variable}} placeholders are filled from the call's context"
            />
          </section>

          <section aria-labelledby="agent-services">
            <h2 id="agent-services">Services</h2>
            {SERVICE_KINDS.map((kind) => (
              <div key={kind}>
                <ServiceFields kind={kind} base={kind} vendors={vendors[kind]} legend={KIND_LABELS[kind]} />
                <Failover kind={kind} vendors={vendors} canEdit={canEdit} />
              </div>
            ))}
          </section>

          <section aria-labelledby="agent-turns">
            <h2 id="agent-turns">Turn-taking</h2>
            <div className="grid-3">
              <NumberField
                name="turns.minEndpointingDelaySecs"
                label="Shortest end-of-turn wait (s)"
                placeholder="0.5"
              />
              <NumberField
                name="turns.maxEndpointingDelaySecs"
                label="Longest end-of-turn wait (s)"
                placeholder="3"
              />
              <BooleanField name="turns.interruptions" label="Caller can interrupt" defaultText="yes" />
              <NumberField
                name="turns.minInterruptionSecs"
                label="Speech that pauses the bot (s)"
                placeholder="0.5"
              />
              <NumberField
                name="turns.minInterruptionWords"
                label="Words needed to interrupt"
                placeholder="0"
                hint="0: any word"
              />
              <NumberField
                name="turns.falseInterruptionTimeoutSecs"
                label="Resume after a false interruption (s)"
                placeholder="2"
                hint="0: never pause"
              />
              <BooleanField
                name="turns.muteDuringGreeting"
                label="Greeting cannot be interrupted"
                defaultText="yes"
              />
              <BooleanField
                name="turns.muteDuringFunctionCalls"
                label="No interruptions while a tool runs"
                defaultText="yes"
              />
            </div>
            <LinesField
              name="turns.backchannels"
              label="Backchannels"
              hint='Phrases that neither interrupt nor get a reply ("mhm"), one per line; empty: the built-in English list'
            />
            <h3>Voice activity detection</h3>
            <div className="grid-3">
              <NumberField name="vad.confidence" label="Speech confidence (0–1)" />
              <NumberField name="vad.minVolume" label="Minimum volume (0–1)" />
              <NumberField name="vad.startSecs" label="Speech before a start (s)" />
              <NumberField name="vad.stopSecs" label="Silence before a stop (s)" />
            </div>
          </section>

          <section aria-labelledby="agent-idle">
            <h2 id="agent-idle">Silence and limits</h2>
            <div className="grid-3">
              <BooleanField name="userIdle.enabled" label="Prompt a silent caller" defaultText="yes" />
              <NumberField name="userIdle.timeoutSecs" label="Silence before a prompt (s)" placeholder="15" />
              <NumberField name="userIdle.maxPrompts" label="Prompts before hanging up" placeholder="2" />
              <TextField name="userIdle.prompt" label="Idle prompt" placeholder="Are you still there?" />
              <TextField name="userIdle.goodbye" label="Goodbye before hanging up" />
              <NumberField
                name="idleTimeoutSecs"
                label="Hang up after silence (s)"
                hint="Without prompting"
              />
              <NumberField name="maxDurationSecs" label="Longest call (s)" />
            </div>
            <h3>Apologies when a service fails</h3>
            <div className="grid-3">
              {SERVICE_KINDS.map((kind) => (
                <TextField
                  key={kind}
                  name={`apologies.${kind}`}
                  label={`When ${KIND_LABELS[kind].toLowerCase()} fails`}
                />
              ))}
            </div>
          </section>

          <section aria-labelledby="agent-tools">
            <h2 id="agent-tools">Tools</h2>
            <ToolChoices tools={tools} />
          </section>

          <section aria-labelledby="agent-transfer">
            <h2 id="agent-transfer">Call transfer</h2>
            <TransferFields canEdit={canEdit} />
          </section>

          <section aria-labelledby="agent-variables">
            <h2 id="agent-variables">Variables</h2>
            <Variables canEdit={canEdit} />
          </section>

          <section aria-labelledby="agent-advanced">
            <h2 id="agent-advanced">Connections (JSON)</h2>
            <JsonField
              name="preCall"
              label="Pre-call request"
              hint='Fetched before the greeting to fill variables: { "url", "method", "headers", "timeoutMs", "variables" }'
            />
            <JsonField
              name="postCall"
              label="Post-call analysis and webhook"
              hint='{ "analysis": { … }, "webhook": { "url", … } }'
            />
            <JsonField name="mcpServers" label="MCP servers" hint='A list of { "name", "url", "headers" }' />
          </section>
        </fieldset>

        {refusal !== undefined && (
          <div className="notice notice-error" role="alert">
            {refusal.message}
            {refusal.unplaced.length > 0 && (
              <ul>
                {refusal.unplaced.map((issue) => (
                  <li key={issue}>{issue}</li>
                ))}
              </ul>
            )}
          </div>
        )}
        {refusal === undefined && invalidCount > 0 && form.formState.isSubmitted && (
          <p className="notice notice-error" role="alert">
            Some settings need fixing; see the fields marked below their controls.
          </p>
        )}
        {saved && (
          <p className="notice notice-ok" role="status">
            Saved.
          </p>
        )}
        {canEdit && (
          <div className="toolbar form-actions">
            <button type="submit" className="primary" disabled={form.formState.isSubmitting}>
              {form.formState.isSubmitting ? 'Saving…' : isNew ? 'Create agent' : 'Save agent'}
            </button>
          </div>
        )}
      </form>
    </FormProvider>
  );
}

/** The failover services of one kind: an ordered list of up to three. */
function Failover({ kind, vendors, canEdit }: { kind: ServiceKind; vendors: Vendors; canEdit: boolean }) {
  const { fields, append, remove } = useFieldArray<AgentFormValues, `failover.${ServiceKind}`>({
    name: `failover.${kind}`,
  });
  const { getValues, resetField } = useFormContext<AgentFormValues>();
  // A row's empty setting (`undefined`) shows its loaded value at that index, so the rows that
  // move up would show (and save) the removed row's settings: the loaded values follow the rows.
  const removeRow = (i: number) => {
    remove(i);
    resetField(`failover.${kind}`, {
      defaultValue: getValues(`failover.${kind}`),
      keepDirty: true,
      keepError: true,
      keepTouched: true,
    });
  };
  const label = KIND_LABELS[kind].toLowerCase();
  return (
    <div className="failover">
      {fields.map((field, i) => (
        <ServiceFields
          key={field.id}
          kind={kind}
          base={`failover.${kind}.${i}`}
          vendors={vendors[kind]}
          legend={`Fallback ${label} ${i + 1}`}
          actions={
            canEdit && (
              <button type="button" className="danger small" onClick={() => removeRow(i)}>
                Remove fallback {label} {i + 1}
              </button>
            )
          }
        />
      ))}
      {canEdit && fields.length < 3 && (
        <button type="button" onClick={() => append({ provider: vendors[kind][0]?.provider ?? '' })}>
          Add fallback {label}
        </button>
      )}
    </div>
  );
}

/** The tools the LLM may call: the built-ins and the stored tools, as checkboxes. */
function ToolChoices({ tools }: { tools: readonly ToolSummary[] }) {
  const { field, fieldState } = useController<AgentFormValues, 'tools'>({ name: 'tools' });
  const chosen = field.value ?? [];
  const all = [...BUILTIN_TOOLS, ...tools];
  // Ids the agent lists that are not (or no longer) stored still show, so that they can be removed.
  for (const id of chosen)
    if (!all.some((t) => t.id === id)) all.push({ id, name: id, description: 'Not found' });
  return (
    <fieldset aria-describedby={fieldState.error ? 'tools-error' : undefined}>
      <legend>Tools the agent may call</legend>
      {all.length === 0 && <p className="muted">No tools yet.</p>}
      <ul className="checks">
        {all.map((tool) => (
          <li key={tool.id}>
            <label>
              <input
                type="checkbox"
                checked={chosen.includes(tool.id)}
                onChange={(event) =>
                  field.onChange(
                    event.target.checked ? [...chosen, tool.id] : chosen.filter((id) => id !== tool.id),
                  )
                }
              />{' '}
              <code>{tool.id}</code>
              {tool.description && <span className="muted"> — {tool.description}</span>}
            </label>
          </li>
        ))}
      </ul>
      {fieldState.error && (
        <small id="tools-error" className="field-error">
          {fieldState.error.message}
        </small>
      )}
    </fieldset>
  );
}

/** The `{{variables}}` of the templates: name, type, required, default, description. */
function Variables({ canEdit }: { canEdit: boolean }) {
  const { fields, append, remove } = useFieldArray<AgentFormValues, 'variables'>({ name: 'variables' });
  return (
    <div>
      {fields.length === 0 && <p className="muted">No declared variables.</p>}
      {fields.map((field, i) => (
        <fieldset key={field.id} className="variable">
          <legend>Variable {i + 1}</legend>
          <div className="grid-3">
            <RequiredTextField name={`variables.${i}.name`} label="Name" />
            <ChoiceField
              name={`variables.${i}.type`}
              label="Type"
              choices={['string', 'number', 'boolean'].map((t) => ({ value: t, label: t }))}
            />
            <RequiredCheckbox name={`variables.${i}.required`} label="Required for outbound calls" />
            <RequiredTextField name={`variables.${i}.default`} label="Default" />
            <RequiredTextField name={`variables.${i}.description`} label="Description" />
          </div>
          {canEdit && (
            <button type="button" className="danger small" onClick={() => remove(i)}>
              Remove variable {i + 1}
            </button>
          )}
        </fieldset>
      ))}
      {canEdit && (
        <button
          type="button"
          onClick={() => append({ name: '', type: 'string', required: false, default: '', description: '' })}
        >
          Add variable
        </button>
      )}
    </div>
  );
}

function RequiredCheckbox({ name, label }: { name: `variables.${number}.required`; label: string }) {
  const { control } = useFormContext<AgentFormValues>();
  const { field } = useController({ control, name });
  return (
    <div className="field field-check">
      <label>
        <input
          type="checkbox"
          name={field.name}
          checked={field.value === true}
          onChange={(event) => field.onChange(event.target.checked)}
          onBlur={field.onBlur}
          ref={field.ref}
        />{' '}
        {label}
      </label>
    </div>
  );
}

/** A nested setting edited as JSON text (empty for none); the server checks its contents. */
function JsonField({
  name,
  label,
  hint,
}: {
  name: 'preCall' | 'postCall' | 'mcpServers';
  label: string;
  hint: string;
}) {
  return <RequiredTextField name={name} label={label} hint={hint} multiline rows={5} />;
}
