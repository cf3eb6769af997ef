import type { FlowIssue } from './definition/validate.ts';

/**
 * The flow engine was used wrongly: a node set before {@link FlowManager.initialize}, a second
 * `initialize`, an action type with no handler, a node without task messages.
 */
export class FlowError extends Error {
  override readonly name: string = 'FlowError';
}

/**
 * An action of a node's pre- or post-actions failed. Reported as the `cause` of a non-fatal
 * `error` frame pushed upstream from the LLM service (so it reaches the task's `errors$`); the
 * remaining actions of the list do not run.
 */
export class FlowActionError extends FlowError {
  override readonly name = 'FlowActionError';
  /** The action's `type`. */
  readonly actionType: string;
  /** Name of the node whose action failed. */
  readonly node: string;

  constructor(actionType: string, node: string, cause: unknown) {
    const detail = cause instanceof Error ? cause.message : String(cause);
    super(`Action ${actionType} of node ${node} failed: ${detail}`, { cause });
    this.actionType = actionType;
    this.node = node;
  }
}

/** A JSON flow definition did not pass {@link validateFlow}; {@link issues} says why. */
export class FlowValidationError extends FlowError {
  override readonly name = 'FlowValidationError';
  readonly issues: readonly FlowIssue[];

  constructor(issues: readonly FlowIssue[]) {
    super(`Invalid flow: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`);
    this.issues = issues;
  }
}
