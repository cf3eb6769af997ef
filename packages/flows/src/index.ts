export { type CompiledFlow, compileFlow, type FlowHandlers } from './definition/compile.ts';
export {
  contextStrategyDefinitionSchema,
  type FlowActionDefinition,
  type FlowDefinition,
  type FlowFunctionDefinition,
  type FlowNodeDefinition,
  flowActionDefinitionSchema,
  flowDefinitionSchema,
  flowFunctionDefinitionSchema,
  flowNodeDefinitionSchema,
} from './definition/schema.ts';
export {
  type FlowIssue,
  type FlowIssueCode,
  type FlowRegistry,
  validateFlow,
} from './definition/validate.ts';
export { FlowActionError, FlowError, FlowValidationError } from './errors.ts';
export { FlowManager, type FlowManagerOptions } from './flow-manager.ts';
export {
  type ArgumentsValidator,
  argumentsValidator,
  parametersSchemaProblems,
  type SchemaProblem,
} from './json-schema.ts';
export { llmSummariser } from './llm-summariser.ts';
export { FlowTransition, goTo } from './transition.ts';
export type {
  ContextStrategy,
  ContextStrategyName,
  CustomAction,
  EndConversationAction,
  FlowAction,
  FlowActionHandler,
  FlowEvent,
  FlowFunction,
  FlowFunctionContext,
  FlowFunctionHandler,
  FlowNode,
  FunctionAction,
  Summariser,
  TtsSayAction,
} from './types.ts';
