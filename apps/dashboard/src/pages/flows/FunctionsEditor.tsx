import { useState } from 'react';
import { Field } from '../../ui/Field.tsx';
import type { FlowFunction } from './types.ts';

interface FunctionsEditorProps {
  readonly functions: readonly FlowFunction[];
  /** Keys of the flow's nodes, the targets a function may move to. */
  readonly nodeKeys: readonly string[];
  readonly onChange: (functions: FlowFunction[]) => void;
  /** The fieldset's legend (default "Functions"). */
  readonly legend?: string;
  /** What to say when there are none. */
  readonly emptyHint?: string;
}

/**
 * A node's functions: name, description (when the LLM calls it), JSON-Schema parameters and
 * the node it moves to. A function with a target is a transition (an edge on the canvas).
 */
export function FunctionsEditor({
  functions,
  nodeKeys,
  onChange,
  legend = 'Functions',
  emptyHint = "None. Drag from the node's bottom handle to add a transition.",
}: FunctionsEditorProps) {
  const replace = (index: number, fn: FlowFunction) =>
    onChange(functions.map((f, i) => (i === index ? fn : f)));
  const add = () => {
    const names = new Set(functions.map((f) => f.name));
    let n = functions.length + 1;
    while (names.has(`function_${n}`)) n++;
    onChange([...functions, { name: `function_${n}`, description: '' }]);
  };
  return (
    <fieldset className="flow-fieldset">
      <legend>{legend}</legend>
      {functions.length === 0 && <p className="muted">{emptyHint}</p>}
      {functions.map((fn, index) => (
        <FunctionItem
          // biome-ignore lint/suspicious/noArrayIndexKey: names change while typed; the place is stable
          key={index}
          n={index + 1}
          fn={fn}
          nodeKeys={nodeKeys}
          onChange={(next) => replace(index, next)}
          onRemove={() => onChange(functions.filter((_, i) => i !== index))}
        />
      ))}
      <button type="button" onClick={add}>
        Add function
      </button>
    </fieldset>
  );
}

interface FunctionItemProps {
  /** The function's place in the node, from 1: it names the controls. */
  readonly n: number;
  readonly fn: FlowFunction;
  readonly nodeKeys: readonly string[];
  readonly onChange: (fn: FlowFunction) => void;
  readonly onRemove: () => void;
}

function FunctionItem({ n, fn, nodeKeys, onChange, onRemove }: FunctionItemProps) {
  const [parameters, setParameters] = useState(() =>
    fn.parameters === undefined ? '' : JSON.stringify(fn.parameters, null, 2),
  );
  const [parametersError, setParametersError] = useState<string | undefined>();
  const editParameters = (text: string) => {
    setParameters(text);
    if (text.trim() === '') {
      setParametersError(undefined);
      onChange({ ...fn, parameters: undefined });
      return;
    }
    const parsed = parseSchema(text);
    setParametersError(parsed.error);
    if (parsed.schema) onChange({ ...fn, parameters: parsed.schema });
  };
  return (
    <div className="flow-item">
      <p className="flow-item-title">
        Function {n}: <code>{fn.name}</code>
      </p>
      <Field label={`Function ${n} name`} hint="Letters, digits, _ or -; what the LLM calls.">
        <input value={fn.name} onChange={(e) => onChange({ ...fn, name: e.target.value })} />
      </Field>
      <Field label={`Function ${n}: when to call it`}>
        <textarea
          rows={2}
          value={fn.description}
          onChange={(e) => onChange({ ...fn, description: e.target.value })}
        />
      </Field>
      <Field label={`Function ${n} target node`}>
        <select
          value={fn.target ?? ''}
          onChange={(e) => onChange({ ...fn, target: e.target.value === '' ? undefined : e.target.value })}
        >
          <option value="">No transition (stay in this node)</option>
          {fn.target !== undefined && !nodeKeys.includes(fn.target) && (
            <option value={fn.target}>{fn.target} (missing)</option>
          )}
          {nodeKeys.map((key) => (
            <option key={key} value={key}>
              {key}
            </option>
          ))}
        </select>
      </Field>
      <Field
        label={`Function ${n} parameters (JSON Schema)`}
        hint='An object schema, e.g. {"type":"object","properties":{"date":{"type":"string"}}}; empty for none.'
        error={parametersError}
      >
        <textarea rows={3} value={parameters} onChange={(e) => editParameters(e.target.value)} />
      </Field>
      <button type="button" onClick={onRemove}>
        Remove function {n}
      </button>
    </div>
  );
}

/** Parses a parameters JSON Schema typed by a person: it must be a JSON object. */
export function parseSchema(text: string): { schema?: Record<string, unknown>; error?: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { error: 'Not valid JSON' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { error: 'A JSON Schema is an object: { "type": "object", … }' };
  }
  return { schema: value as Record<string, unknown> };
}
