import { zodResolver } from '@hookform/resolvers/zod';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { type FieldPath, useForm } from 'react-hook-form';
import { Link, useNavigate, useParams } from 'react-router';
import { ApiError, api, issuesByField } from '../../api/client.ts';
import { useCan } from '../../auth/session.tsx';
import { ConfirmAction } from '../../ui/ConfirmAction.tsx';
import { ErrorNotice } from '../../ui/ErrorNotice.tsx';
import { Field } from '../../ui/Field.tsx';
import { Loading } from '../../ui/Loading.tsx';
import { HeadersEditor } from './HeadersEditor.tsx';
import { TOOLS_KEY } from './ToolsPage.tsx';
import { TryIt } from './TryIt.tsx';
import {
  formFieldOf,
  formToDefinition,
  NEW_TOOL_FORM,
  sampleArguments,
  TOOL_METHODS,
  type Tool,
  type ToolForm,
  toolFormSchema,
  toolToForm,
} from './tool-form.ts';
import './tools.css';

interface CredentialInfo {
  readonly name: string;
  readonly kind: string;
}

/** `/tools/new` and `/tools/:toolId`: the tool's form, "Try it" and delete (editors; viewers read). */
export function ToolEditPage() {
  const { toolId } = useParams();
  const tool = useQuery({
    queryKey: [...TOOLS_KEY, toolId],
    queryFn: () => api<Tool>('GET', `/api/tools/${encodeURIComponent(toolId ?? '')}`),
    enabled: toolId !== undefined,
  });
  if (toolId === undefined) return <ToolEditor key="new" />;
  if (tool.isLoading) return <Loading what="Loading the tool" />;
  if (tool.error != null || tool.data === undefined) {
    return (
      <section aria-labelledby="tool-title">
        <h1 id="tool-title">Tool {toolId}</h1>
        <ErrorNotice error={tool.error} title="Could not load the tool" />
        <Link to="/tools">Back to tools</Link>
      </section>
    );
  }
  return <ToolEditor key={tool.data.id} tool={tool.data} />;
}

function ToolEditor({ tool }: { tool?: Tool }) {
  const canEdit = useCan('editor');
  const client = useQueryClient();
  const navigate = useNavigate();
  const [saved, setSaved] = useState(false);
  const credentials = useQuery({
    queryKey: ['credentials'],
    queryFn: () => api<{ credentials: CredentialInfo[] }>('GET', '/api/credentials'),
  });
  const form = useForm<ToolForm>({
    resolver: zodResolver(toolFormSchema),
    defaultValues: tool ? toolToForm(tool) : NEW_TOOL_FORM,
  });
  const save = useMutation({
    mutationFn: async (values: ToolForm) => {
      // PUT creates or replaces: a new tool must not silently replace one with the same id.
      if (tool === undefined && (await toolExists(values.id))) {
        throw new ApiError(409, 'tool_exists', `Tool ${values.id} exists`, [
          'id: a tool with this id exists; open it from the list to change it',
        ]);
      }
      return api<Tool>('PUT', `/api/tools/${encodeURIComponent(values.id)}`, formToDefinition(values));
    },
    onSuccess: async (savedTool) => {
      setSaved(true);
      await client.invalidateQueries({ queryKey: TOOLS_KEY });
      if (tool === undefined) await navigate(`/tools/${encodeURIComponent(savedTool.id)}`, { replace: true });
    },
    onError: (error) => {
      // Each issue at the field it concerns; the rest stay in the notice above the buttons.
      const headers = form.getValues('headers');
      for (const [path, message] of Object.entries(issuesByField(error))) {
        const field = formFieldOf(path, headers);
        if (field !== undefined) form.setError(field as FieldPath<ToolForm>, { message });
      }
    },
  });
  const remove = useMutation({
    mutationFn: () => api<void>('DELETE', `/api/tools/${encodeURIComponent(tool?.id ?? '')}`),
    onSuccess: async () => {
      await client.invalidateQueries({ queryKey: TOOLS_KEY });
      await navigate('/tools');
    },
  });
  const { errors } = form.formState;
  const unplaced = unplacedIssues(save.error, form.getValues('headers'));
  const genericCredentials = (credentials.data?.credentials ?? [])
    .filter((c) => c.kind === 'generic')
    .map((c) => c.name);
  return (
    <section aria-labelledby="tool-title">
      <p>
        <Link to="/tools">Tools</Link>
      </p>
      <h1 id="tool-title">{tool ? `Tool ${tool.id}` : 'New tool'}</h1>
      {!canEdit && <p className="notice">Your role can read tools but not change them.</p>}
      <form
        onSubmit={form.handleSubmit((values) => {
          setSaved(false);
          save.mutate(values);
        })}
        noValidate
        aria-label="Tool"
      >
        <fieldset disabled={!canEdit} className="plain">
          <div className="grid-2">
            <Field
              label="Tool id"
              hint={tool ? 'The id cannot change' : 'How agents list it: a slug, e.g. order-status'}
              error={errors.id?.message}
            >
              <input {...form.register('id')} readOnly={tool !== undefined} autoComplete="off" />
            </Field>
            <Field
              label="Function name"
              hint="The name the LLM calls, e.g. get_order_status"
              error={errors.name?.message}
            >
              <input {...form.register('name')} autoComplete="off" />
            </Field>
          </div>
          <Field
            label="Description"
            hint="What it does and when to call it: the LLM reads this"
            error={errors.description?.message}
          >
            <textarea rows={3} {...form.register('description')} />
          </Field>
          <Field
            label="Parameters (JSON Schema)"
            hint='The arguments object, e.g. { "type": "object", "properties": { "order": { "type": "string" } }, "required": ["order"] }'
            error={errors.parameters?.message}
          >
            <textarea rows={10} spellCheck={false} className="code" {...form.register('parameters')} />
          </Field>
          <div className="grid-url">
            <Field label="Method" error={errors.method?.message}>
              <select {...form.register('method')}>
                {TOOL_METHODS.map((method) => (
                  <option key={method} value={method}>
                    {method}
                  </option>
                ))}
              </select>
            </Field>
            <Field
              label="URL"
              hint="{{name}} in the path or query is filled from the arguments, then the call's variables"
              error={errors.url?.message}
            >
              <input {...form.register('url')} autoComplete="off" spellCheck={false} />
            </Field>
          </div>
          <HeadersEditor
            control={form.control}
            register={form.register}
            errors={errors.headers}
            credentials={genericCredentials}
          />
          <div className="grid-3">
            <Field label="Time limit (s)" hint="Per attempt, at most 60" error={errors.timeoutSecs?.message}>
              <input type="number" step="any" {...form.register('timeoutSecs', { valueAsNumber: true })} />
            </Field>
            <Field
              label="Retries"
              hint="After a 429, a 5xx or a network error (0–3)"
              error={errors.retries?.message}
            >
              <input type="number" {...form.register('retries', { valueAsNumber: true })} />
            </Field>
            <Field
              label="Response size (characters)"
              hint="The LLM reads at most this much of the answer"
              error={errors.maxResponseChars?.message}
            >
              <input type="number" {...form.register('maxResponseChars', { valueAsNumber: true })} />
            </Field>
          </div>
        </fieldset>
        {unplaced.length > 0 && (
          <div className="notice notice-error" role="alert">
            {save.error instanceof Error ? save.error.message : 'Could not save'}
            <ul>
              {unplaced.map((issue) => (
                <li key={issue}>{issue}</li>
              ))}
            </ul>
          </div>
        )}
        {save.error != null && unplaced.length === 0 && (
          <p className="notice notice-error" role="alert">
            {save.error instanceof Error ? save.error.message : 'Could not save'}: see the fields marked
            above.
          </p>
        )}
        {saved && !save.isPending && save.error == null && (
          <p className="notice notice-ok" role="status">
            Saved.
          </p>
        )}
        {canEdit && (
          <div className="toolbar">
            <button type="submit" className="primary" disabled={save.isPending}>
              {save.isPending ? 'Saving…' : tool ? 'Save tool' : 'Create tool'}
            </button>
            {tool && (
              <ConfirmAction
                label="Delete tool"
                question={`Delete ${tool.id}?`}
                confirmLabel="Yes, delete"
                onConfirm={() => remove.mutate()}
                pending={remove.isPending}
              />
            )}
          </div>
        )}
        <ErrorNotice error={remove.error} title="Could not delete the tool" />
      </form>
      {tool && canEdit && (
        <TryIt
          toolId={tool.id}
          initialArguments={JSON.stringify(sampleArguments(tool.parameters), null, 2)}
        />
      )}
    </section>
  );
}

/** Whether a tool with `id` is stored (a 404 says no; other failures are thrown). */
async function toolExists(id: string): Promise<boolean> {
  try {
    await api<Tool>('GET', `/api/tools/${encodeURIComponent(id)}`);
    return true;
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return false;
    throw error;
  }
}

/** The API's issues no form field shows (they go in the notice). */
function unplacedIssues(error: unknown, headers: ToolForm['headers']): string[] {
  if (!(error instanceof ApiError)) return [];
  return Object.entries(issuesByField(error))
    .filter(([path]) => formFieldOf(path, headers) === undefined)
    .map(([path, message]) => (path === '' ? message : `${path}: ${message}`));
}
