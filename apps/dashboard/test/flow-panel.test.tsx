import { render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { useState } from 'react';
import { describe, expect, it, vi } from 'vitest';
import { renameNode } from '../src/pages/flows/model.ts';
import { NodePanel } from '../src/pages/flows/NodePanel.tsx';
import type { FlowDefinition, FlowNode } from '../src/pages/flows/types.ts';

const TOOLS = [
  { id: 'end_call', name: 'end_call (built in)' },
  { id: 'menu-lookup', name: 'menu_lookup' },
];

const START: FlowDefinition = {
  nodes: [
    { key: 'greet', initial: true, taskMessages: ['Greet the caller.'] },
    { key: 'bye', taskMessages: ['Say goodbye.'] },
  ],
};

/** The panel over a flow kept in state, as the editor keeps it; each change is reported. */
function Harness({ readOnly, report }: { readOnly: boolean; report: (d: FlowDefinition) => void }) {
  const [definition, setDefinition] = useState(START);
  const [key, setKey] = useState('greet');
  report(definition);
  const node = definition.nodes.find((n) => n.key === key) as FlowNode;
  const replace = (next: FlowNode) =>
    setDefinition((d) => ({ ...d, nodes: d.nodes.map((n) => (n.key === key ? next : n)) }));
  return (
    <NodePanel
      node={node}
      nodeKeys={definition.nodes.map((n) => n.key)}
      tools={TOOLS}
      issues={[]}
      readOnly={readOnly}
      onChange={replace}
      onRename={(to) => {
        setDefinition(renameNode(definition, key, to));
        setKey(to);
      }}
      onSetInitial={(initial) => replace({ ...node, initial })}
      onDelete={vi.fn()}
    />
  );
}

/** Renders {@link Harness}; `latest()` is the flow as last rendered. */
function renderPanel(readOnly = false) {
  let current = START;
  render(<Harness readOnly={readOnly} report={(d) => (current = d)} />);
  return { latest: () => current, node: (key: string) => current.nodes.find((n) => n.key === key) };
}

describe('the flow node panel', { timeout: 60_000 }, () => {
  it('edits the messages, flags and tools of the node', async () => {
    const { node } = renderPanel();
    await userEvent.type(screen.getByLabelText('Role message'), 'You are Ada.');
    const task = screen.getByLabelText('Task message 1');
    await userEvent.clear(task);
    await userEvent.type(task, 'Ask for the date.');
    await userEvent.click(screen.getByRole('button', { name: 'Add task message' }));
    await userEvent.type(screen.getByLabelText('Task message 2'), 'Be brief.');
    await userEvent.click(screen.getByLabelText('Terminal (the conversation ends here)'));
    await userEvent.click(screen.getByLabelText('Respond immediately (else wait for the caller)'));
    await userEvent.click(screen.getByLabelText(/menu_lookup/));
    expect(node('greet')).toMatchObject({
      roleMessage: 'You are Ada.',
      taskMessages: ['Ask for the date.', 'Be brief.'],
      terminal: true,
      respondImmediately: false,
      toolIds: ['menu-lookup'],
    });
    await userEvent.click(screen.getByRole('button', { name: 'Remove task message 1' }));
    expect(node('greet')?.taskMessages).toEqual(['Be brief.']);
  });

  it('adds a function that moves to another node, with JSON-Schema parameters', async () => {
    const { node } = renderPanel();
    await userEvent.click(screen.getByRole('button', { name: 'Add function' }));
    const name = screen.getByLabelText('Function 1 name');
    await userEvent.clear(name);
    await userEvent.type(name, 'finish');
    await userEvent.type(screen.getByLabelText('Function 1: when to call it'), 'The caller is done.');
    await userEvent.selectOptions(screen.getByLabelText('Function 1 target node'), 'bye');
    const parameters = screen.getByLabelText('Function 1 parameters (JSON Schema)');
    await userEvent.type(parameters, '[[1');
    expect(screen.getByText('Not valid JSON')).toBeTruthy();
    await userEvent.clear(parameters);
    await userEvent.click(parameters);
    await userEvent.paste('{"type":"object","properties":{"reason":{"type":"string"}}}');
    expect(screen.queryByText('Not valid JSON')).toBeNull();
    expect(node('greet')?.functions).toEqual([
      {
        name: 'finish',
        description: 'The caller is done.',
        target: 'bye',
        parameters: { type: 'object', properties: { reason: { type: 'string' } } },
      },
    ]);
  });

  it('edits pre- and post-actions and the context strategy', async () => {
    const { node } = renderPanel();
    await userEvent.click(screen.getByRole('button', { name: 'Add post-action' }));
    await userEvent.selectOptions(screen.getByLabelText('Post-actions 1: type'), 'end_conversation');
    await userEvent.type(screen.getByLabelText('Post-actions 1: text'), 'Goodbye!');
    await userEvent.click(screen.getByRole('button', { name: 'Add pre-action' }));
    await userEvent.type(screen.getByLabelText('Pre-actions 1: text'), 'One moment.');
    await userEvent.selectOptions(screen.getByLabelText('Context strategy'), 'reset_with_summary');
    await userEvent.type(screen.getByLabelText('Summary prompt'), 'Summarise.');
    expect(node('greet')).toMatchObject({
      preActions: [{ type: 'tts_say', text: 'One moment.' }],
      postActions: [{ type: 'end_conversation', text: 'Goodbye!' }],
      contextStrategy: { strategy: 'reset_with_summary', summaryPrompt: 'Summarise.' },
    });
  });

  it('renames the node, and says why a taken key is refused', async () => {
    const { latest } = renderPanel();
    const key = screen.getByLabelText('Key');
    await userEvent.clear(key);
    await userEvent.type(key, 'bye{Enter}');
    expect(await screen.findByText('A node named "bye" already exists')).toBeTruthy();
    expect(key.getAttribute('aria-invalid')).toBe('true');
    await userEvent.clear(key);
    await userEvent.type(key, 'hello{Enter}');
    expect(latest().nodes.map((n) => n.key)).toEqual(['hello', 'bye']);
    expect(within(screen.getByRole('heading', { level: 2 })).getByText('hello')).toBeTruthy();
  });

  it('lets a viewer read the node but change nothing', () => {
    renderPanel(true);
    expect((screen.getByLabelText('Task message 1') as HTMLTextAreaElement).value).toBe('Greet the caller.');
    expect(screen.getByLabelText('Task message 1').closest('fieldset')?.disabled).toBe(true);
    expect(
      (screen.getByRole('button', { name: 'Delete node greet' }) as HTMLButtonElement).matches(':disabled'),
    ).toBe(true);
  });
});
