/**
 * Controlled inputs of the agent form, each a labelled {@link Field} bound to one form value
 * by name: text and numbers (empty means "not set"), yes / no / default, lists of lines, and
 * choices. Problems (the form's or the API's) show under the control.
 */
import { useEffect, useId, useState } from 'react';
import { type FieldValues, type Path, useController, useFormContext } from 'react-hook-form';
import { Field } from '../../ui/Field.tsx';

interface BaseProps {
  /** A form value path, e.g. `turns.stopSecs` or `llm.temperature`. */
  readonly name: string;
  readonly label: string;
  readonly hint?: string | undefined;
}

function useBound(name: string) {
  const { control } = useFormContext<FieldValues>();
  return useController({ control, name: name as Path<FieldValues> });
}

/** Text; an empty box is "not set" (`undefined`). */
export function TextField({
  multiline,
  placeholder,
  rows,
  suggestions,
  ...props
}: BaseProps & {
  multiline?: boolean;
  placeholder?: string | undefined;
  rows?: number;
  /** Values offered as the user types (a datalist), e.g. the names of stored credentials. */
  suggestions?: readonly string[];
}) {
  const { field, fieldState } = useBound(props.name);
  const listId = useId();
  const hasList = suggestions !== undefined && suggestions.length > 0;
  const value = typeof field.value === 'string' ? field.value : '';
  const common = {
    name: field.name,
    value,
    placeholder,
    onBlur: field.onBlur,
    ref: field.ref,
    onChange: (event: { target: { value: string } }) =>
      field.onChange(event.target.value === '' ? undefined : event.target.value),
  };
  return (
    <>
      <Field label={props.label} hint={props.hint} error={fieldState.error?.message}>
        {multiline ? (
          <textarea rows={rows ?? 4} {...common} />
        ) : (
          <input {...common} list={hasList ? listId : undefined} />
        )}
      </Field>
      {hasList && (
        <datalist id={listId}>
          {suggestions.map((s) => (
            <option key={s} value={s} />
          ))}
        </datalist>
      )}
    </>
  );
}

/** Text that is always a string (`''` when empty), e.g. the name or the prompt. */
export function RequiredTextField({
  multiline,
  rows,
  ...props
}: BaseProps & { multiline?: boolean; rows?: number }) {
  const { field, fieldState } = useBound(props.name);
  const common = {
    name: field.name,
    value: typeof field.value === 'string' ? field.value : '',
    onBlur: field.onBlur,
    ref: field.ref,
    onChange: (event: { target: { value: string } }) => field.onChange(event.target.value),
  };
  return (
    <Field label={props.label} hint={props.hint} error={fieldState.error?.message}>
      {multiline ? <textarea rows={rows ?? 8} {...common} /> : <input {...common} />}
    </Field>
  );
}

function parseNumber(text: string): number | undefined {
  return text.trim() === '' ? undefined : Number(text);
}

/** A number; empty is "not set". Typed as text so that half-typed numbers ("0.") survive. */
export function NumberField({ placeholder, ...props }: BaseProps & { placeholder?: string | undefined }) {
  const { field, fieldState } = useBound(props.name);
  const shown = typeof field.value === 'number' && !Number.isNaN(field.value) ? String(field.value) : '';
  const [text, setText] = useState(shown);
  // Follow values set from outside (a reset, a provider switch), not the ones typed here.
  useEffect(() => {
    setText((current) => {
      const typed = parseNumber(current);
      return typed === field.value || (Number.isNaN(typed) && Number.isNaN(field.value)) ? current : shown;
    });
  }, [field.value, shown]);
  return (
    <Field label={props.label} hint={props.hint} error={fieldState.error?.message}>
      <input
        name={field.name}
        inputMode="decimal"
        value={text}
        placeholder={placeholder}
        onBlur={field.onBlur}
        ref={field.ref}
        onChange={(event) => {
          setText(event.target.value);
          field.onChange(parseNumber(event.target.value));
        }}
      />
    </Field>
  );
}

/** Yes / no, or the server's default (`undefined`); `defaultText` says what that default is. */
export function BooleanField({ defaultText, ...props }: BaseProps & { defaultText?: string | undefined }) {
  const { field, fieldState } = useBound(props.name);
  const value = field.value === true ? 'true' : field.value === false ? 'false' : '';
  return (
    <Field label={props.label} hint={props.hint} error={fieldState.error?.message}>
      <select
        name={field.name}
        value={value}
        onBlur={field.onBlur}
        ref={field.ref}
        onChange={(event) => {
          const v = event.target.value;
          field.onChange(v === 'true' ? true : v === 'false' ? false : undefined);
        }}
      >
        <option value="">{defaultText === undefined ? 'Default' : `Default (${defaultText})`}</option>
        <option value="true">Yes</option>
        <option value="false">No</option>
      </select>
    </Field>
  );
}

/** One of `choices`, or (with `defaultText`) "not set". */
export function ChoiceField({
  choices,
  defaultText,
  onChosen,
  ...props
}: BaseProps & {
  choices: readonly { value: string; label: string }[];
  defaultText?: string | undefined;
  /** Replaces the plain update (e.g. to reset a service's options when its provider changes). */
  onChosen?: (value: string) => void;
}) {
  const { field, fieldState } = useBound(props.name);
  const value = field.value === undefined || field.value === null ? '' : String(field.value);
  return (
    <Field label={props.label} hint={props.hint} error={fieldState.error?.message}>
      <select
        name={field.name}
        value={value}
        onBlur={field.onBlur}
        ref={field.ref}
        onChange={(event) => {
          const v = event.target.value;
          if (onChosen) onChosen(v);
          else field.onChange(v === '' ? undefined : v);
        }}
      >
        {defaultText !== undefined && <option value="">{defaultText}</option>}
        {choices.map((c) => (
          <option key={c.value} value={c.value}>
            {c.label}
          </option>
        ))}
      </select>
    </Field>
  );
}

/** A list of strings, one per line; no lines is "not set". */
export function LinesField(props: BaseProps) {
  const { field, fieldState } = useBound(props.name);
  const lines = Array.isArray(field.value) ? (field.value as unknown[]).map(String).join('\n') : '';
  const [text, setText] = useState(lines);
  useEffect(() => {
    setText((current) => (toLines(current).join('\n') === lines ? current : lines));
  }, [lines]);
  return (
    <Field label={props.label} hint={props.hint ?? 'One per line'} error={fieldState.error?.message}>
      <textarea
        name={field.name}
        rows={3}
        value={text}
        onBlur={field.onBlur}
        ref={field.ref}
        onChange={(event) => {
          setText(event.target.value);
          const list = toLines(event.target.value);
          field.onChange(list.length === 0 ? undefined : list);
        }}
      />
    </Field>
  );
}

function toLines(text: string): string[] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');
}
