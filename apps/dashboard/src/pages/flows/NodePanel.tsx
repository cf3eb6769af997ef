import { useEffect, useState } from 'react';
import { Field } from '../../ui/Field.tsx';
import { ActionsEditor } from './ActionsEditor.tsx';
import { FunctionsEditor } from './FunctionsEditor.tsx';
import type { ContextStrategy, FlowIssue, FlowNode } from './types.ts';

/** What the side panel may change; the page applies each to the definition. */
export interface NodePanelActions {
  /** Replaces the node's fields (its key stays; see `onRename`). */
  readonly onChange: (node: FlowNode) => void;
  /** Renames the node; throws (the message is shown) when the key is empty or taken. */
  readonly onRename: (key: string) => void;
  /** Makes it the initial node (clearing the flag elsewhere), or not. */
  readonly onSetInitial: (initial: boolean) => void;
  readonly onDelete: () => void;
}

interface NodePanelProps extends NodePanelActions {
  readonly node: FlowNode;
  readonly nodeKeys: readonly string[];
  /** Stored and built-in tools the node may offer. */
  readonly tools: readonly { id: string; name: string }[];
  readonly issues: readonly FlowIssue[];
  /** Viewers see the node but every control is disabled. */
  readonly readOnly: boolean;
}

/** The selected node's settings: key, messages, flags, context strategy, tools, functions, actions. */
export function NodePanel(props: NodePanelProps) {
  const { node, onChange, readOnly } = props;
  const set = (patch: Partial<FlowNode>) => onChange({ ...node, ...patch });
  const tasks = node.taskMessages.length === 0 ? [''] : node.taskMessages;
  return (
    <section className="flow-panel" aria-labelledby="flow-panel-title">
      <h2 id="flow-panel-title">
        Node <code>{node.key}</code>
      </h2>
      {props.issues.length > 0 && (
        <ul className="flow-panel-issues">
          {props.issues.map((issue) => (
            <li key={`${issue.path}|${issue.message}`} className={`flow-issue-${issue.severity}`}>
              <span className="flow-sr-only">{issue.severity}: </span>
              {issue.path}: {issue.message}
            </li>
          ))}
        </ul>
      )}
      <fieldset className="flow-panel-body" disabled={readOnly}>
        <legend className="flow-sr-only">Settings of node {node.key}</legend>
        <KeyField nodeKey={node.key} onRename={props.onRename} />
        <Field label="Role message" hint="The persona (system instruction); it stays for later nodes.">
          <textarea
            rows={3}
            value={node.roleMessage ?? ''}
            onChange={(e) => set({ roleMessage: e.target.value || undefined })}
          />
        </Field>
        {tasks.map((message, index) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: messages have no identity but their place
          <div key={index} className="flow-task">
            <Field
              label={`Task message ${index + 1}`}
              hint={index === 0 ? 'What to do in this node.' : undefined}
            >
              <textarea
                rows={3}
                value={message}
                onChange={(e) =>
                  set({ taskMessages: tasks.map((m, i) => (i === index ? e.target.value : m)) })
                }
              />
            </Field>
            {tasks.length > 1 && (
              <button
                type="button"
                onClick={() => set({ taskMessages: tasks.filter((_, i) => i !== index) })}
              >
                Remove task message {index + 1}
              </button>
            )}
          </div>
        ))}
        <button type="button" onClick={() => set({ taskMessages: [...tasks, ''] })}>
          Add task message
        </button>
        <fieldset className="flow-fieldset">
          <legend>Flags</legend>
          <label className="flow-check">
            <input
              type="checkbox"
              checked={node.initial === true}
              onChange={(e) => props.onSetInitial(e.target.checked)}
            />
            Initial (the flow starts here)
          </label>
          <label className="flow-check">
            <input
              type="checkbox"
              checked={node.terminal === true}
              onChange={(e) => set({ terminal: e.target.checked || undefined })}
            />
            Terminal (the conversation ends here)
          </label>
          <label className="flow-check">
            <input
              type="checkbox"
              checked={node.respondImmediately !== false}
              onChange={(e) => set({ respondImmediately: e.target.checked ? undefined : false })}
            />
            Respond immediately (else wait for the caller)
          </label>
        </fieldset>
        <ContextStrategyFields
          value={node.contextStrategy}
          onChange={(contextStrategy) => set({ contextStrategy })}
        />
        <fieldset className="flow-fieldset">
          <legend>Tools</legend>
          {props.tools.length === 0 && <p className="muted">No tools are defined.</p>}
          {props.tools.map((tool) => {
            const ids = node.toolIds ?? [];
            return (
              <label key={tool.id} className="flow-check">
                <input
                  type="checkbox"
                  checked={ids.includes(tool.id)}
                  onChange={(e) =>
                    set({
                      toolIds: e.target.checked ? [...ids, tool.id] : ids.filter((id) => id !== tool.id),
                    })
                  }
                />
                {tool.name} <span className="muted">({tool.id})</span>
              </label>
            );
          })}
        </fieldset>
        <FunctionsEditor
          functions={node.functions ?? []}
          nodeKeys={props.nodeKeys}
          onChange={(functions) => set({ functions })}
        />
        <ActionsEditor
          title="Pre-actions"
          actions={node.preActions ?? []}
          onChange={(preActions) => set({ preActions })}
        />
        <ActionsEditor
          title="Post-actions"
          actions={node.postActions ?? []}
          onChange={(postActions) => set({ postActions })}
        />
        <button type="button" className="danger" onClick={props.onDelete}>
          Delete node {node.key}
        </button>
      </fieldset>
    </section>
  );
}

/** The key, renamed when the field loses focus or Enter is pressed. */
function KeyField({ nodeKey, onRename }: { nodeKey: string; onRename: (key: string) => void }) {
  const [value, setValue] = useState(nodeKey);
  const [error, setError] = useState<string | undefined>();
  useEffect(() => {
    setValue(nodeKey);
    setError(undefined);
  }, [nodeKey]);
  const commit = () => {
    const key = value.trim();
    if (key === nodeKey) return;
    try {
      onRename(key);
      setError(undefined);
    } catch (e) {
      setError(e instanceof Error ? e.message : 'Cannot rename');
    }
  };
  return (
    <Field label="Key" hint="Unique in the flow; events name the node by it." error={error}>
      <input
        value={value}
        onChange={(e) => setValue(e.target.value)}
        onBlur={commit}
        onKeyDown={(e) => {
          if (e.key === 'Enter') {
            e.preventDefault();
            commit();
          }
        }}
      />
    </Field>
  );
}

function ContextStrategyFields({
  value,
  onChange,
}: {
  value: ContextStrategy | undefined;
  onChange: (value: ContextStrategy | undefined) => void;
}) {
  const strategy = value?.strategy ?? 'append';
  return (
    <>
      <Field
        label="Context strategy"
        hint="What happens to the conversation so far when the flow enters this node."
      >
        <select
          value={strategy}
          onChange={(e) => {
            const next = e.target.value;
            if (next === 'reset') onChange({ strategy: 'reset' });
            else if (next === 'reset_with_summary')
              onChange({ strategy: 'reset_with_summary', summaryPrompt: '' });
            else onChange(undefined);
          }}
        >
          <option value="append">Append (keep the history)</option>
          <option value="reset">Reset (only this node's messages)</option>
          <option value="reset_with_summary">Reset with a summary</option>
        </select>
      </Field>
      {value?.strategy === 'reset_with_summary' && (
        <Field label="Summary prompt" hint="How the LLM should summarise the conversation so far.">
          <textarea
            rows={2}
            value={value.summaryPrompt}
            onChange={(e) => onChange({ strategy: 'reset_with_summary', summaryPrompt: e.target.value })}
          />
        </Field>
      )}
    </>
  );
}
