import { render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { ConfirmAction } from '../src/ui/ConfirmAction.tsx';

describe('ConfirmAction', () => {
  it('asks in an alert dialog whose focus starts on Cancel, and acts only when confirmed', async () => {
    const onConfirm = vi.fn();
    const onCancel = vi.fn();
    render(
      <ConfirmAction
        label="Delete"
        question="Delete agent a?"
        confirmLabel="Yes, delete a"
        onConfirm={onConfirm}
        onCancel={onCancel}
      />,
    );
    await userEvent.click(screen.getByRole('button', { name: 'Delete' }));
    const dialog = await screen.findByRole('alertdialog', { name: 'Delete agent a?' });
    await waitFor(() =>
      expect(document.activeElement).toBe(within(dialog).getByRole('button', { name: 'Cancel' })),
    );
    await userEvent.keyboard('{Enter}'); // on Cancel: nothing happens
    expect(onConfirm).not.toHaveBeenCalled();
    expect(onCancel).toHaveBeenCalledTimes(1);
    expect(screen.queryByRole('alertdialog')).toBeNull();

    await userEvent.click(screen.getByRole('button', { name: 'Delete' }));
    await userEvent.click(await screen.findByRole('button', { name: 'Yes, delete a' }));
    expect(onConfirm).toHaveBeenCalledTimes(1);
    expect(onCancel).toHaveBeenCalledTimes(1); // confirming is not cancelling
    expect(screen.queryByRole('alertdialog')).toBeNull();
  });

  it('Escape dismisses the question; a pending action disables the button that opens it', async () => {
    const onCancel = vi.fn();
    const { rerender } = render(
      <ConfirmAction
        label="Revoke"
        question="Revoke?"
        confirmLabel="Yes"
        onConfirm={() => {}}
        onCancel={onCancel}
      />,
    );
    await userEvent.click(screen.getByRole('button', { name: 'Revoke' }));
    await screen.findByRole('alertdialog', { name: 'Revoke?' });
    await userEvent.keyboard('{Escape}');
    await waitFor(() => expect(screen.queryByRole('alertdialog')).toBeNull());
    expect(onCancel).toHaveBeenCalledTimes(1);
    rerender(
      <ConfirmAction label="Revoke" question="Revoke?" confirmLabel="Yes" onConfirm={() => {}} pending />,
    );
    expect((screen.getByRole('button', { name: 'Revoke' }) as HTMLButtonElement).disabled).toBe(true);
  });
});
