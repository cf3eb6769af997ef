import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useCallback, useEffect, useMemo, useState } from 'react';
import { ApiError } from '../../api/client.ts';
import { ErrorNotice } from '../../ui/ErrorNotice.tsx';
import { type CanvasSelection, FlowCanvas } from './FlowCanvas.tsx';
import { FunctionsEditor } from './FunctionsEditor.tsx';
import {
  discardDraft,
  flowKey,
  type getFlow,
  listToolChoices,
  publishFlow,
  saveDraft,
  validateFlow,
} from './flow-api.ts';
import { IssuesList } from './IssuesList.tsx';
import {
  addNode,
  disconnect,
  EMPTY_FLOW,
  issuesByNode,
  layoutFlow,
  removeNode,
  renameNode,
  setInitial,
  toStored,
  updateNode,
} from './model.ts';
import { NodePanel } from './NodePanel.tsx';
import type { FlowDefinition, FlowIssue } from './types.ts';
import { VersionsPanel, versionsKey } from './VersionsPanel.tsx';

interface FlowEditorProps {
  readonly agentId: string;
  /** The stored flow: the editor starts from the draft, else the published version, else nothing. */
  readonly stored: Awaited<ReturnType<typeof getFlow>>;
  readonly readOnly: boolean;
}

/** The editor proper: toolbar, canvas, side panel, issues and versions (the page loads the stored flow). */
export function FlowEditor({ agentId, stored, readOnly }: FlowEditorProps) {
  const client = useQueryClient();
  const [definition, setDefinition] = useState<FlowDefinition>(
    () => stored.draft?.definition ?? stored.published?.definition ?? EMPTY_FLOW,
  );
  const [dirty, setDirty] = useState(false);
  const [selection, setSelection] = useState<CanvasSelection | undefined>();
  const [issues, setIssues] = useState<readonly FlowIssue[] | undefined>();
  const [status, setStatus] = useState('');
  const tools = useQuery({ queryKey: ['tools', 'choices'], queryFn: listToolChoices });

  const edit = useCallback((update: (d: FlowDefinition) => FlowDefinition) => {
    setDefinition((d) => update(d));
    setDirty(true);
  }, []);
  // Closing the tab or reloading with unsaved changes asks first.
  useEffect(() => {
    if (!dirty) return;
    const warn = (event: BeforeUnloadEvent) => event.preventDefault();
    window.addEventListener('beforeunload', warn);
    return () => window.removeEventListener('beforeunload', warn);
  }, [dirty]);
  const sorted = useMemo(() => issuesByNode(definition, issues ?? []), [definition, issues]);

  /** Checks the definition on the server and shows what it found. */
  const check = async (): Promise<readonly FlowIssue[]> => {
    const result = await validateFlow(agentId, toStored(definition));
    setIssues(result.issues);
    return result.issues;
  };
  /** Saves the draft; a refusal for errors is turned into issues on the nodes. */
  const save = async (): Promise<boolean> => {
    try {
      const draft = await saveDraft(agentId, toStored(definition));
      setIssues(draft.issues);
      setDirty(false);
      setStatus(`Draft saved as version ${draft.version}.`);
      return true;
    } catch (error) {
      if (error instanceof ApiError && error.code === 'invalid_flow') {
        const found = await check();
        setStatus(`Not saved: the flow has ${errorCount(found)} error(s); see the issues.`);
        return false;
      }
      throw error;
    } finally {
      await client.invalidateQueries({ queryKey: versionsKey(agentId) });
    }
  };

  const saving = useMutation({ mutationFn: save });
  const validating = useMutation({
    mutationFn: check,
    onSuccess: (found) =>
      setStatus(
        errorCount(found) === 0
          ? `The flow is valid${found.length > 0 ? ` (${found.length} warning(s))` : ''}.`
          : `The flow has ${errorCount(found)} error(s).`,
      ),
  });
  const publishing = useMutation({
    mutationFn: async () => {
      if (dirty && !(await save())) return undefined;
      return publishFlow(agentId);
    },
    onSuccess: async (result) => {
      if (result) setStatus(`Published version ${result.published.version}: new calls run it.`);
      await client.invalidateQueries({ queryKey: versionsKey(agentId) });
    },
  });
  const discarding = useMutation({
    mutationFn: () => discardDraft(agentId),
    onSuccess: () => client.invalidateQueries({ queryKey: flowKey(agentId) }),
  });
  const busy = saving.isPending || validating.isPending || publishing.isPending || discarding.isPending;

  const selectedKey = selection?.kind === 'node' ? selection.key : selection?.source;
  const selectedNode = definition.nodes.find((n) => n.key === selectedKey);

  const deleteSelection = () => {
    if (!selection) return;
    if (selection.kind === 'node') edit((d) => removeNode(d, selection.key));
    else edit((d) => disconnect(d, selection.source, selection.functionName));
    setSelection(undefined);
  };

  return (
    <div className="flow-editor">
      {readOnly ? (
        <p className="notice">Read only: your role can look at this flow but not change it.</p>
      ) : (
        <div className="toolbar flow-toolbar">
          <button
            type="button"
            onClick={() => {
              const added = addNode(definition);
              edit(() => added.definition);
              setSelection({ kind: 'node', key: added.key });
            }}
          >
            Add node
          </button>
          <button type="button" onClick={() => edit(layoutFlow)} disabled={definition.nodes.length === 0}>
            Auto-layout
          </button>
          <button type="button" className="danger" onClick={deleteSelection} disabled={!selection}>
            {selection?.kind === 'edge' ? `Delete transition ${selection.functionName}` : 'Delete node'}
          </button>
          <span className="flow-toolbar-gap" />
          <button type="button" onClick={() => saving.mutate()} disabled={busy}>
            Save draft
          </button>
          <button type="button" onClick={() => validating.mutate()} disabled={busy}>
            Validate
          </button>
          <button type="button" className="primary" onClick={() => publishing.mutate()} disabled={busy}>
            Publish
          </button>
          {stored.draft && !dirty && (
            <button type="button" onClick={() => discarding.mutate()} disabled={busy}>
              Discard draft
            </button>
          )}
          <span className="muted">{dirty ? 'Unsaved changes' : 'All changes saved'}</span>
        </div>
      )}
      <p role="status" className="flow-status-line">
        {status}
      </p>
      <ErrorNotice error={saving.error ?? validating.error ?? publishing.error ?? discarding.error} />
      <div className="flow-workspace">
        <section className="flow-canvas" aria-labelledby="flow-canvas-title">
          <h2 id="flow-canvas-title" className="flow-sr-only">
            Canvas
          </h2>
          {definition.nodes.length === 0 && (
            <p className="flow-empty muted">
              {readOnly ? 'This agent has no flow.' : 'No nodes yet: add one to start the flow.'}
            </p>
          )}
          <FlowCanvas
            definition={definition}
            issues={sorted.byNode}
            selection={selection}
            onSelect={setSelection}
            onEdit={edit}
            readOnly={readOnly}
          />
        </section>
        <aside className="flow-side" aria-label="Selected node">
          {selection?.kind === 'edge' && (
            <p className="flow-edge-summary">
              Transition <code>{selection.functionName}</code> from <code>{selection.source}</code>; its
              function is edited in the node below.
            </p>
          )}
          {selectedNode ? (
            <NodePanel
              key={selectedNode.key}
              node={selectedNode}
              nodeKeys={definition.nodes.map((n) => n.key)}
              tools={tools.data ?? []}
              issues={sorted.byNode.get(selectedNode.key) ?? []}
              readOnly={readOnly}
              onChange={(node) => edit((d) => updateNode(d, selectedNode.key, () => node))}
              onRename={(key) => {
                const renamed = renameNode(definition, selectedNode.key, key);
                edit(() => renamed);
                setSelection({ kind: 'node', key });
              }}
              onSetInitial={(initial) => edit((d) => setInitial(d, selectedNode.key, initial))}
              onDelete={() => {
                edit((d) => removeNode(d, selectedNode.key));
                setSelection(undefined);
              }}
            />
          ) : (
            <section aria-labelledby="flow-global-title">
              <h2 id="flow-global-title">Whole flow</h2>
              <p className="muted">Select a node on the canvas to see its settings.</p>
              <fieldset className="flow-panel-body" disabled={readOnly}>
                <legend className="flow-sr-only">Settings of the whole flow</legend>
                <FunctionsEditor
                  legend="Global functions"
                  emptyHint="None. A global function can be called in every node."
                  functions={definition.globalFunctions ?? []}
                  nodeKeys={definition.nodes.map((n) => n.key)}
                  onChange={(globalFunctions) => edit((d) => ({ ...d, globalFunctions }))}
                />
              </fieldset>
            </section>
          )}
        </aside>
      </div>
      {issues !== undefined && (
        <IssuesList issues={sorted} onSelect={(key) => setSelection({ kind: 'node', key })} />
      )}
      <VersionsPanel agentId={agentId} />
    </div>
  );
}

function errorCount(issues: readonly FlowIssue[]): number {
  return issues.filter((i) => i.severity === 'error').length;
}
