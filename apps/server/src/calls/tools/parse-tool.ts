/**
 * Validation of a webhook tool definition: its shape (zod), its parameters as a JSON Schema
 * (Ajv) and its URL template. Credential references are checked against the store by the API.
 */
import { parametersSchemaProblems } from '@parley/flows';
import { formatIssues } from '../../config/agent-config.ts';
import { type ToolDefinitionConfig, toolDefinitionSchema } from './tool-schema.ts';
import { urlTemplateIssue } from './url-template.ts';

/** A tool definition failed validation; `issues` holds one `path: problem` line each. */
export class ToolDefinitionError extends Error {
  override readonly name = 'ToolDefinitionError';

  constructor(readonly issues: readonly string[]) {
    super(`Invalid tool: ${issues.join('; ')}`);
  }
}

/**
 * Validates `input` (parsed JSON) as a webhook tool and applies defaults.
 * @throws {@link ToolDefinitionError} listing every problem found.
 */
export function parseToolDefinition(input: unknown): ToolDefinitionConfig {
  const result = toolDefinitionSchema.safeParse(input);
  if (!result.success) throw new ToolDefinitionError(formatIssues(result.error.issues));
  const tool = result.data;
  const urlIssue = urlTemplateIssue(tool.url);
  const issues = [
    ...(urlIssue ? [`url: ${urlIssue}`] : []),
    ...parametersSchemaProblems(tool.parameters).map(
      (p) => `parameters${p.path ? `.${p.path}` : ''}: ${p.message}`,
    ),
  ];
  if (issues.length > 0) throw new ToolDefinitionError(issues);
  return tool;
}
