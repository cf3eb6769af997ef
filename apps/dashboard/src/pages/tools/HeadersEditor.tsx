import {
  type Control,
  type FieldErrors,
  type UseFormRegister,
  useFieldArray,
  useWatch,
} from 'react-hook-form';
import { Field } from '../../ui/Field.tsx';
import { EMPTY_HEADER, type ToolForm } from './tool-form.ts';

interface HeadersEditorProps {
  readonly control: Control<ToolForm>;
  readonly register: UseFormRegister<ToolForm>;
  readonly errors: FieldErrors<ToolForm>['headers'];
  /** Names of stored `generic` credentials, offered as suggestions. */
  readonly credentials: readonly string[];
}

/**
 * The tool's request headers, one row each: literal text, or a stored generic credential's field
 * (the value is read when a request is made; secrets never appear here).
 */
export function HeadersEditor({ control, register, errors, credentials }: HeadersEditorProps) {
  const { fields, append, remove } = useFieldArray({ control, name: 'headers' });
  const rows = useWatch({ control, name: 'headers' });
  return (
    <fieldset>
      <legend>Headers</legend>
      <p className="muted">
        Headers that carry secrets (Authorization, API keys, tokens) must name a stored generic credential
        bound to the URL's origin.
      </p>
      {fields.length === 0 && <p>No headers.</p>}
      <datalist id="generic-credentials">
        {credentials.map((name) => (
          <option key={name} value={name} />
        ))}
      </datalist>
      {fields.map((item, index) => {
        const source = rows?.[index]?.source ?? item.source;
        const rowErrors = errors?.[index];
        return (
          <fieldset className="header-row" key={item.id}>
            <legend>Header {index + 1}</legend>
            <Field label="Name" error={rowErrors?.name?.message}>
              <input {...register(`headers.${index}.name`)} autoComplete="off" />
            </Field>
            <Field label="Value from">
              <select {...register(`headers.${index}.source`)}>
                <option value="text">Text</option>
                <option value="credential">Credential</option>
              </select>
            </Field>
            {source === 'text' ? (
              <Field label="Value" error={rowErrors?.value?.message}>
                <input {...register(`headers.${index}.value`)} autoComplete="off" />
              </Field>
            ) : (
              <>
                <Field label="Credential" error={rowErrors?.credential?.message}>
                  <input
                    list="generic-credentials"
                    {...register(`headers.${index}.credential`)}
                    autoComplete="off"
                  />
                </Field>
                <Field label="Field" error={rowErrors?.field?.message}>
                  <input {...register(`headers.${index}.field`)} autoComplete="off" />
                </Field>
                <Field label="Prefix" hint="e.g. Bearer " error={rowErrors?.prefix?.message}>
                  <input {...register(`headers.${index}.prefix`)} autoComplete="off" />
                </Field>
              </>
            )}
            <button type="button" className="danger" onClick={() => remove(index)}>
              Remove header {index + 1}
            </button>
          </fieldset>
        );
      })}
      <button type="button" onClick={() => append({ ...EMPTY_HEADER })}>
        Add header
      </button>
    </fieldset>
  );
}
