import { type ReactNode, useEffect, useRef, useState } from 'react';

/** Props of {@link ConfirmAction}. */
export interface ConfirmActionProps {
  /** The first button, e.g. `Delete`. */
  readonly label: ReactNode;
  /** What is asked once it is pressed, e.g. `Delete agent support and its flow?` (the group's name). */
  readonly question: string;
  /** The button that does it, e.g. `Yes, delete support`. */
  readonly confirmLabel: string;
  readonly onConfirm: () => void;
  /** While the action runs: its buttons are disabled. */
  readonly pending?: boolean;
  /** Called when the question is dismissed (e.g. to clear the action's last error). */
  readonly onCancel?: () => void;
  /** Extra class of the question's group, for its layout. */
  readonly className?: string;
}

/**
 * A destructive action asked twice: a danger button, then the question in a group named by it,
 * with the confirming button (focused, so the keyboard follows) and Cancel. The caller closes
 * the question by unmounting it or through {@link ConfirmActionProps.onCancel}.
 */
export function ConfirmAction({
  label,
  question,
  confirmLabel,
  onConfirm,
  pending = false,
  onCancel,
  className,
}: ConfirmActionProps) {
  const [asking, setAsking] = useState(false);
  const confirmRef = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (asking) confirmRef.current?.focus();
  }, [asking]);
  if (!asking) {
    return (
      <button type="button" className="danger" onClick={() => setAsking(true)} disabled={pending}>
        {label}
      </button>
    );
  }
  return (
    <fieldset className={['confirm', className].filter(Boolean).join(' ')}>
      <legend>{question}</legend>
      <button type="button" className="danger" ref={confirmRef} onClick={onConfirm} disabled={pending}>
        {confirmLabel}
      </button>
      <button
        type="button"
        onClick={() => {
          setAsking(false);
          onCancel?.();
        }}
      >
        Cancel
      </button>
    </fieldset>
  );
}
