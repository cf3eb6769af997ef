import { Field } from '../../ui/Field.tsx';
import type { FlowAction } from './types.ts';

/** The action types a person picks from; the server runs only these built-ins. */
const ACTION_TYPES = [
  { type: 'tts_say', label: 'Say (tts_say)' },
  { type: 'end_conversation', label: 'End the call (end_conversation)' },
] as const;

interface ActionsEditorProps {
  /** "Pre-actions" or "Post-actions": the fieldset's legend and the controls' label prefix. */
  readonly title: string;
  readonly actions: readonly FlowAction[];
  readonly onChange: (actions: FlowAction[]) => void;
}

/** A node's pre- or post-actions: each a type and the text it says. */
export function ActionsEditor({ title, actions, onChange }: ActionsEditorProps) {
  const replace = (index: number, action: FlowAction) =>
    onChange(actions.map((a, i) => (i === index ? action : a)));
  const singular = title.replace(/s$/, '').toLowerCase();
  return (
    <fieldset className="flow-fieldset">
      <legend>{title}</legend>
      {actions.length === 0 && <p className="muted">None.</p>}
      {actions.map((action, index) => {
        const n = index + 1;
        const known = ACTION_TYPES.some((t) => t.type === action.type);
        return (
          // biome-ignore lint/suspicious/noArrayIndexKey: actions have no identity but their place
          <div className="flow-item" key={index}>
            <Field label={`${title} ${n}: type`}>
              <select
                value={action.type}
                onChange={(e) => replace(index, { ...action, type: e.target.value })}
              >
                {ACTION_TYPES.map((t) => (
                  <option key={t.type} value={t.type}>
                    {t.label}
                  </option>
                ))}
                {!known && <option value={action.type}>{action.type}</option>}
              </select>
            </Field>
            <Field
              label={`${title} ${n}: text`}
              hint={action.type === 'end_conversation' ? 'Optional goodbye.' : undefined}
            >
              <input
                value={action.text ?? ''}
                onChange={(e) => replace(index, { ...action, text: e.target.value || undefined })}
              />
            </Field>
            <button type="button" onClick={() => onChange(actions.filter((_, i) => i !== index))}>
              Remove {singular} {n}
            </button>
          </div>
        );
      })}
      <button type="button" onClick={() => onChange([...actions, { type: 'tts_say', text: '' }])}>
        Add {singular}
      </button>
    </fieldset>
  );
}
