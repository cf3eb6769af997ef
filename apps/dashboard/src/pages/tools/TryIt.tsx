import { useMutation } from '@tanstack/react-query';
import { useState } from 'react';
import { ApiError, api, issuesByField } from '../../api/client.ts';
import { ErrorNotice } from '../../ui/ErrorNotice.tsx';
import { Field } from '../../ui/Field.tsx';
import { parseJsonObject, type ToolTestResult } from './tool-form.ts';

interface TryItProps {
  readonly toolId: string;
  /** Sample arguments to start from (built from the tool's parameters). */
  readonly initialArguments: string;
}

/**
 * "Try it": runs the saved tool with sample arguments (as the LLM would give them) and context
 * variables, through the server, and shows the request it sent and the answer it got.
 */
export function TryIt({ toolId, initialArguments }: TryItProps) {
  const [args, setArgs] = useState(initialArguments);
  const [variables, setVariables] = useState('{}');
  const [local, setLocal] = useState<{ arguments?: string; variables?: string }>({});
  const run = useMutation({
    mutationFn: (body: { arguments: Record<string, unknown>; variables: Record<string, unknown> }) =>
      api<ToolTestResult>('POST', `/api/tools/${encodeURIComponent(toolId)}/test`, body),
  });
  const onRun = () => {
    const parsedArgs = parseJsonObject(args);
    const parsedVars = parseJsonObject(variables);
    const problems = {
      ...('error' in parsedArgs ? { arguments: parsedArgs.error } : {}),
      ...('error' in parsedVars ? { variables: parsedVars.error } : {}),
    };
    setLocal(problems);
    if ('value' in parsedArgs && 'value' in parsedVars) {
      run.mutate({ arguments: parsedArgs.value, variables: parsedVars.value });
    }
  };
  const serverIssues = run.error instanceof ApiError && run.error.code === 'invalid_arguments';
  const argumentsError =
    local.arguments ?? (serverIssues ? (run.error as ApiError).issues.join('; ') : undefined);
  const variablesError = local.variables ?? issuesByField(run.error).variables;
  const result = run.data;
  return (
    <section aria-labelledby="try-it-title" className="try-it">
      <h2 id="try-it-title">Try it</h2>
      <p className="muted">Runs the saved tool as a call would (egress rules, time limit, retries).</p>
      <div className="grid-2">
        <Field label="Sample arguments (JSON)" error={argumentsError}>
          <textarea value={args} onChange={(event) => setArgs(event.target.value)} spellCheck={false} />
        </Field>
        <Field
          label="Context variables (JSON)"
          hint="Fill {{placeholders}} the arguments do not"
          error={variablesError}
        >
          <textarea
            value={variables}
            onChange={(event) => setVariables(event.target.value)}
            spellCheck={false}
          />
        </Field>
      </div>
      <button type="button" className="primary" onClick={onRun} disabled={run.isPending}>
        {run.isPending ? 'Running…' : 'Run tool'}
      </button>
      {run.error != null && !serverIssues && <ErrorNotice error={run.error} title="Could not run the tool" />}
      {result && <TryItResult result={result} />}
    </section>
  );
}

/** The request sent and the answer received (or why none came). */
function TryItResult({ result }: { result: ToolTestResult }) {
  return (
    <div className="try-it-result" role="status" aria-live="polite">
      <p className={result.ok ? 'notice notice-ok' : 'notice notice-error'}>
        {result.ok ? 'Succeeded' : 'Failed'}
        {result.status !== undefined && <> with HTTP {result.status}</>} in {result.durationMs} ms
        {result.attempts > 1 && <> after {result.attempts} attempts</>}
        {result.error !== undefined && <>: {result.error}</>}
      </p>
      <div className="grid-2">
        <div>
          <h3>Request</h3>
          {result.request ? (
            <>
              <p>
                <span className="badge">{result.request.method}</span> <code>{result.request.url}</code>
              </p>
              <dl className="headers-list">
                {Object.entries(result.request.headers).map(([name, value]) => (
                  <div key={name}>
                    <dt>{name}</dt>
                    <dd>
                      <code>{value}</code>
                    </dd>
                  </div>
                ))}
              </dl>
              {result.request.body !== undefined && (
                <>
                  <h4>Body</h4>
                  <pre>{result.request.body}</pre>
                </>
              )}
            </>
          ) : (
            <p>No request was made.</p>
          )}
        </div>
        <div>
          <h3>Response</h3>
          {result.response ? (
            <>
              <dl className="headers-list">
                <div>
                  <dt>Status</dt>
                  <dd>{result.response.status}</dd>
                </div>
                <div>
                  <dt>Duration</dt>
                  <dd>{result.durationMs} ms</dd>
                </div>
              </dl>
              <h4>Body</h4>
              <pre>{result.response.body === '' ? '(empty)' : result.response.body}</pre>
            </>
          ) : (
            <p>No response.</p>
          )}
          <h3>What the LLM reads</h3>
          <pre>{result.result}</pre>
        </div>
      </div>
    </div>
  );
}
