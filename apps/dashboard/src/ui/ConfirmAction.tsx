import * as AlertDialog from '@radix-ui/react-alert-dialog';
import { type ReactNode, useState } from 'react';

/** Props of {@link ConfirmAction}. */
export interface ConfirmActionProps {
  /** The first button, e.g. `Delete`. */
  readonly label: ReactNode;
  /** What is asked once it is pressed, e.g. `Delete agent support and its flow?` (the dialog's title). */
  readonly question: string;
  /** The button that does it, e.g. `Yes, delete support`. */
  readonly confirmLabel: string;
  readonly onConfirm: () => void;
  /** While the action runs: its buttons are disabled. */
  readonly pending?: boolean;
  /** Called when the question is dismissed (Cancel, Escape) e.g. to clear the action's last error. */
  readonly onCancel?: () => void;
}

/**
 * A destructive action asked twice: a danger button, then an alert dialog (Radix UI's: focus is
 * trapped in it and starts on Cancel, Escape dismisses it, the page behind is inert) with the
 * question, the confirming button and Cancel. Confirming closes the dialog; the action's outcome
 * (an error) is shown by the caller.
 */
export function ConfirmAction({
  label,
  question,
  confirmLabel,
  onConfirm,
  pending = false,
  onCancel,
}: ConfirmActionProps) {
  const [open, setOpen] = useState(false);
  return (
    <AlertDialog.Root
      open={open}
      onOpenChange={(next) => {
        setOpen(next);
        if (!next) onCancel?.();
      }}
    >
      <AlertDialog.Trigger asChild>
        <button type="button" className="danger" disabled={pending}>
          {label}
        </button>
      </AlertDialog.Trigger>
      <AlertDialog.Portal>
        <AlertDialog.Overlay className="dialog-overlay" />
        <AlertDialog.Content className="dialog">
          <AlertDialog.Title className="dialog-title">{question}</AlertDialog.Title>
          <AlertDialog.Description className="visually-hidden">
            This cannot be undone.
          </AlertDialog.Description>
          <div className="dialog-actions">
            <AlertDialog.Cancel asChild>
              <button type="button">Cancel</button>
            </AlertDialog.Cancel>
            <button
              type="button"
              className="danger"
              disabled={pending}
              onClick={() => {
                // Closed without onCancel: the action goes on.
                setOpen(false);
                onConfirm();
              }}
            >
              {confirmLabel}
            </button>
          </div>
        </AlertDialog.Content>
      </AlertDialog.Portal>
    </AlertDialog.Root>
  );
}
