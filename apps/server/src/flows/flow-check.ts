/**
 * The checks a stored flow passes before it is saved or published: the engine's
 * `validateFlow` (shape, initial node, transitions, reachability, …) with what the server can
 * run (no named function handlers or custom actions yet), and tool ids it knows.
 */
import { type FlowIssue, type FlowIssueCode, flowDefinitionSchema, validateFlow } from '@parley/flows';
import type { KnownToolIds } from './known-tools.ts';

/** One problem of a stored flow: the engine's issues and the server's own (`unknown_tool`). */
export interface StoredFlowIssue extends Omit<FlowIssue, 'code'> {
  readonly code: FlowIssueCode | 'unknown_tool';
}

/**
 * Checks `definition` (unvalidated JSON). The server registers no function handlers and no
 * custom action types, so a function's `handler` and a `function` or custom action are errors;
 * a node's `toolIds` must be known tools. Returns the issues, errors and warnings, in the
 * engine's order then the server's; never throws.
 */
export function checkStoredFlow(definition: unknown, tools: KnownToolIds): StoredFlowIssue[] {
  const issues: StoredFlowIssue[] = validateFlow(definition, { handlers: [], actions: [] });
  const parsed = flowDefinitionSchema.safeParse(definition);
  if (!parsed.success || tools === 'any') return issues;
  for (const node of parsed.data.nodes) {
    for (const id of node.toolIds ?? []) {
      if (!tools.has(id)) {
        issues.push({
          code: 'unknown_tool',
          severity: 'error',
          path: `nodes.${node.key}.toolIds`,
          message: `the tool "${id}" does not exist`,
        });
      }
    }
  }
  return issues;
}

/** Only the issues that stop a flow from being saved or run. */
export function errorsOf(issues: readonly StoredFlowIssue[]): StoredFlowIssue[] {
  return issues.filter((i) => i.severity === 'error');
}

/** An issue as one line of an API error's `issues` (`path: message`). */
export function issueLine(issue: StoredFlowIssue): string {
  return `${issue.path}: ${issue.message}`;
}
