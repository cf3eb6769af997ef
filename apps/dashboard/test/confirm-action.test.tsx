import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { ConfirmAction } from '../src/ui/ConfirmAction.tsx';

describe('ConfirmAction', () => {
  it('asks first, focuses the confirming button, and acts only when it is pressed', async () => {
    const onConfirm = vi.fn();
    render(
      <ConfirmAction
        label="Delete"
        question="Delete agent a?"
        confirmLabel="Yes, delete a"
        onConfirm={onConfirm}
      />,
    );
    await userEvent.click(screen.getByRole('button', { name: 'Delete' }));
    expect(onConfirm).not.toHaveBeenCalled();
    const group = screen.getByRole('group', { name: 'Delete agent a?' });
    const yes = screen.getByRole('button', { name: 'Yes, delete a' });
    expect(group.contains(yes)).toBe(true);
    expect(document.activeElement).toBe(yes);
    await userEvent.keyboard('{Enter}');
    expect(onConfirm).toHaveBeenCalledTimes(1);
  });

  it('Cancel closes the question and tells the caller; a pending action disables the confirming button', async () => {
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
    await userEvent.click(screen.getByRole('button', { name: 'Cancel' }));
    expect(onCancel).toHaveBeenCalledTimes(1);
    expect(screen.queryByRole('group')).toBeNull();
    await userEvent.click(screen.getByRole('button', { name: 'Revoke' }));
    rerender(
      <ConfirmAction label="Revoke" question="Revoke?" confirmLabel="Yes" onConfirm={() => {}} pending />,
    );
    expect((screen.getByRole('button', { name: 'Yes' }) as HTMLButtonElement).disabled).toBe(true);
  });
});
