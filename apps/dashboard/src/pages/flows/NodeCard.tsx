import { Handle, type NodeProps, Position } from '@xyflow/react';
import type { FlowCanvasNode } from './model.ts';

/**
 * A flow node on the canvas: its key, initial/terminal badges, the first words of its task,
 * and a red badge counting the errors (amber for warnings only) found in it. Transitions start
 * at the bottom handle and end at the top one.
 */
export function NodeCard({ data, selected, isConnectable }: NodeProps<FlowCanvasNode>) {
  const { node, issues } = data;
  const errors = issues.filter((i) => i.severity === 'error').length;
  const task = node.taskMessages[0] ?? '';
  return (
    <div
      className={`flow-node${selected ? ' flow-node-selected' : ''}${errors > 0 ? ' flow-node-invalid' : ''}`}
    >
      <Handle type="target" position={Position.Top} isConnectable={isConnectable} />
      <div className="flow-node-head">
        <strong className="flow-node-key">{node.key}</strong>
        {issues.length > 0 && (
          <span
            className={errors > 0 ? 'flow-badge flow-badge-error' : 'flow-badge flow-badge-warning'}
            title={issues.map((i) => i.message).join('\n')}
          >
            {errors > 0
              ? `${errors} error${errors === 1 ? '' : 's'}`
              : `${issues.length} warning${issues.length === 1 ? '' : 's'}`}
          </span>
        )}
      </div>
      <div className="flow-node-badges">
        {node.initial && <span className="flow-badge flow-badge-initial">initial</span>}
        {node.terminal && <span className="flow-badge flow-badge-terminal">terminal</span>}
      </div>
      <p className="flow-node-task">{task === '' ? <em>No task yet</em> : task}</p>
      <Handle type="source" position={Position.Bottom} isConnectable={isConnectable} />
    </div>
  );
}
