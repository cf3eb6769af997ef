import { cloneElement, type ReactElement, useId } from 'react';

interface FieldProps {
  readonly label: string;
  /** The error to show under the control; it is also announced and linked to it. */
  readonly error?: string | undefined;
  readonly hint?: string;
  /** One form control (input, select, textarea); it gets the id and ARIA attributes. */
  readonly children: ReactElement<Record<string, unknown>>;
}

/** A labelled form control with its hint and error, linked for assistive technology. */
export function Field({ label, error, hint, children }: FieldProps) {
  const id = useId();
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  const describedBy = [hint !== undefined ? hintId : undefined, error !== undefined ? errorId : undefined]
    .filter((x) => x !== undefined)
    .join(' ');
  return (
    <div className={error === undefined ? 'field' : 'field field-invalid'}>
      <label htmlFor={id}>{label}</label>
      {cloneElement(children, {
        id,
        'aria-invalid': error !== undefined,
        'aria-describedby': describedBy === '' ? undefined : describedBy,
      })}
      {hint !== undefined && (
        <small id={hintId} className="muted">
          {hint}
        </small>
      )}
      {error !== undefined && (
        <small id={errorId} className="field-error">
          {error}
        </small>
      )}
    </div>
  );
}
