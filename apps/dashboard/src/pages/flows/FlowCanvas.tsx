import {
  applyNodeChanges,
  Background,
  type Connection,
  Controls,
  type EdgeChange,
  MarkerType,
  type NodeChange,
  ReactFlow,
} from '@xyflow/react';
import { useCallback, useEffect, useMemo, useState } from 'react';
import '@xyflow/react/dist/style.css';
import {
  connect,
  disconnect,
  type FlowCanvasEdge,
  type FlowCanvasNode,
  keepCanvasState,
  moveNode,
  removeNode,
  toCanvasEdges,
  toCanvasNodes,
} from './model.ts';
import { NodeCard } from './NodeCard.tsx';
import type { FlowDefinition, FlowIssue } from './types.ts';

const nodeTypes = { flowNode: NodeCard };

/** What is selected on the canvas: a node, or a transition (a function of its source node). */
export type CanvasSelection =
  | { readonly kind: 'node'; readonly key: string }
  | { readonly kind: 'edge'; readonly source: string; readonly functionName: string };

interface FlowCanvasProps {
  readonly definition: FlowDefinition;
  readonly issues: ReadonlyMap<string, readonly FlowIssue[]>;
  readonly selection: CanvasSelection | undefined;
  readonly onSelect: (selection: CanvasSelection | undefined) => void;
  /** Applies an edit; given as an update so that edits in one event build on each other. */
  readonly onEdit: (update: (definition: FlowDefinition) => FlowDefinition) => void;
  /** Viewers: nodes can be selected (to read them) but not moved, connected or deleted. */
  readonly readOnly: boolean;
}

/**
 * The flow on an XYFlow canvas: drag a node to move it, drag from a node's bottom handle to
 * another node to add a transition, Delete or Backspace to delete the selected node or
 * transition. The definition stays the source of truth; the canvas keeps only what it measured.
 */
export function FlowCanvas({ definition, issues, selection, onSelect, onEdit, readOnly }: FlowCanvasProps) {
  const build = useCallback(
    (previous: readonly FlowCanvasNode[]) =>
      keepCanvasState(previous, toCanvasNodes(definition, issues)).map((n) => ({
        ...n,
        selected: selection?.kind === 'node' && selection.key === n.id,
        ariaLabel: `Node ${n.id}`,
      })),
    [definition, issues, selection],
  );
  const [nodes, setNodes] = useState<FlowCanvasNode[]>(() => build([]));
  useEffect(() => setNodes((previous) => build(previous)), [build]);

  const edges = useMemo<FlowCanvasEdge[]>(
    () =>
      toCanvasEdges(definition).map((edge) => ({
        ...edge,
        selected:
          selection?.kind === 'edge' &&
          selection.source === edge.data?.source &&
          selection.functionName === edge.data?.functionName,
        markerEnd: { type: MarkerType.ArrowClosed },
        ariaLabel: `Transition ${edge.data?.functionName} from ${edge.source} to ${edge.target}`,
      })),
    [definition, selection],
  );

  const onNodesChange = useCallback(
    (changes: NodeChange<FlowCanvasNode>[]) => {
      setNodes((current) => applyNodeChanges(changes, current));
      const moved = changes.flatMap((c) =>
        c.type === 'position' && c.position && !c.dragging ? [{ id: c.id, position: c.position }] : [],
      );
      if (moved.length > 0 && !readOnly) {
        onEdit((d) => moved.reduce((acc, m) => moveNode(acc, m.id, m.position), d));
      }
      const picked = changes.filter((c) => c.type === 'select' && c.selected);
      const last = picked[picked.length - 1];
      if (last && last.type === 'select') onSelect({ kind: 'node', key: last.id });
    },
    [onEdit, onSelect, readOnly],
  );

  // Edges are drawn from the definition; of their changes only selection (click, or Enter on a focused edge) matters.
  const onEdgesChange = useCallback(
    (changes: EdgeChange<FlowCanvasEdge>[]) => {
      const picked = changes
        .filter((c) => c.type === 'select' && c.selected)
        .map((c) => (c.type === 'select' ? c.id : ''));
      const edge = edges.find((e) => e.id === picked[picked.length - 1]);
      if (edge?.data)
        onSelect({ kind: 'edge', source: edge.data.source, functionName: edge.data.functionName });
    },
    [edges, onSelect],
  );

  return (
    <ReactFlow<FlowCanvasNode, FlowCanvasEdge>
      aria-label="Flow canvas"
      nodes={nodes}
      edges={edges}
      nodeTypes={nodeTypes}
      onNodesChange={onNodesChange}
      onEdgesChange={onEdgesChange}
      onPaneClick={() => onSelect(undefined)}
      onConnect={(c: Connection) => onEdit((d) => connect(d, c.source, c.target).definition)}
      onNodesDelete={(deleted) => {
        onEdit((d) => deleted.reduce((acc, n) => removeNode(acc, n.id), d));
        onSelect(undefined);
      }}
      onEdgesDelete={(deleted) => {
        onEdit((d) =>
          deleted.reduce((acc, e) => (e.data ? disconnect(acc, e.data.source, e.data.functionName) : acc), d),
        );
        onSelect(undefined);
      }}
      nodesDraggable={!readOnly}
      nodesConnectable={!readOnly}
      deleteKeyCode={readOnly ? null : ['Delete', 'Backspace']}
      fitView
      fitViewOptions={{ maxZoom: 1, padding: 0.2 }}
      minZoom={0.2}
    >
      <Background />
      <Controls showInteractive={false} />
    </ReactFlow>
  );
}
