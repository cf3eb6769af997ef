/**
 * An agent's context-variable schema: the `{{name}}` variables its prompt, greeting and
 * prompts use, each with a type, whether a call must give it, and a default. Outbound calls'
 * `context` and pre-call results are validated against it; templates render a missing
 * variable as its default, and one without a default as a visible marker (see
 * {@link missingVariableText}), never as an empty gap.
 */
import { z } from 'zod';

/** The JSON value types a context variable may hold. */
export type ContextValue = string | number | boolean;

/** One declared context variable. */
export const contextVariableSchema = z
  .strictObject({
    /** The `{{name}}` of the variable: letters, digits, `_`, `.` or `-`. */
    name: z.string().regex(/^[A-Za-z_][\w.-]{0,63}$/, 'a variable name: letters, digits, "_", "." or "-"'),
    type: z.enum(['string', 'number', 'boolean']),
    /** An outbound call without it is refused. Default false. */
    required: z.boolean().optional(),
    /**
     * What templates render when the call has no value for it; without one they render
     * {@link missingVariableText}. Give one to every variable a call may lack (optional ones,
     * and required ones used by inbound calls, which carry no context).
     */
    default: z.union([z.string().max(2000), z.number(), z.boolean()]).optional(),
    /** What the variable means (for people and for generated agents). */
    description: z.string().max(500).optional(),
  })
  .refine((v) => v.default === undefined || typeof v.default === v.type, {
    message: 'default must be of the variable’s type',
    path: ['default'],
  });

/** A validated {@link contextVariableSchema}. */
export type ContextVariable = z.output<typeof contextVariableSchema>;

/** The `variables` list of an agent: unique names, at most 100. */
export const contextVariablesSchema = z
  .array(contextVariableSchema)
  .max(100)
  .refine((list) => new Set(list.map((v) => v.name)).size === list.length, {
    message: 'variable names must be unique',
  });

/**
 * Checks `context` (a call's variables) against `variables`. With no declared variables
 * anything is accepted (the schema is opt-in). Once an agent declares variables, the schema
 * is strict: an undeclared name is refused as unknown (so a typo surfaces), a value of
 * another type is refused, and with `requireAll` a missing required variable is refused.
 * @returns one readable line per problem (`context.name: …`); empty when valid.
 */
export function contextIssues(
  variables: readonly ContextVariable[] | undefined,
  context: Readonly<Record<string, unknown>>,
  options: { requireAll: boolean } = { requireAll: true },
): string[] {
  if (!variables || variables.length === 0) return [];
  const byName = new Map(variables.map((v) => [v.name, v]));
  const issues: string[] = [];
  for (const [name, value] of Object.entries(context)) {
    const declared = byName.get(name);
    if (!declared)
      issues.push(`context.${name}: unknown variable; declared: ${[...byName.keys()].join(', ')}`);
    else if (typeof value !== declared.type)
      issues.push(`context.${name}: expected a ${declared.type}, got ${describe(value)}`);
  }
  if (options.requireAll) {
    for (const v of variables) {
      if (v.required && context[v.name] === undefined) issues.push(`context.${v.name}: required`);
    }
  }
  return issues;
}

/**
 * What a template renders for a declared variable the call has no value for and whose schema
 * has no default: `[<name> unknown]`. Not an empty string, which would silently turn a
 * greeting into "Hello ," or a tool's URL into `/orders/`: the marker tells the LLM the value
 * is missing (so it can ask), shows in transcripts and logs, and is an obviously wrong value
 * in a request.
 */
export function missingVariableText(name: string): string {
  return `[${name} unknown]`;
}

/**
 * The strings templates are filled with: each declared variable's value in `context`, else
 * its default, else {@link missingVariableText}; undeclared names of `context` as given.
 * Pre-call results replace these values when they arrive.
 */
export function templateVariables(
  variables: readonly ContextVariable[] | undefined,
  context: Readonly<Record<string, unknown>>,
): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const v of variables ?? []) {
    vars[v.name] = v.default !== undefined ? String(v.default) : missingVariableText(v.name);
  }
  for (const [name, value] of Object.entries(context)) {
    if (value !== undefined && value !== null) vars[name] = String(value);
  }
  return vars;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}

/** The fields whose text is spoken to the caller as written (after rendering). */
interface SpokenTemplates {
  readonly variables?: readonly ContextVariable[];
  readonly greeting?: string;
  readonly userIdle?: { readonly prompt?: string; readonly goodbye?: string };
}

/**
 * Refusals for spoken text that names a declared variable without a default, e.g.
 * `greeting: {{first_name}} has no default: …`. A call without the value would render
 * {@link missingVariableText}, which is right for the LLM's prompt but must not be read out to
 * a caller. Checked when an agent is written, not when it is read, so stored agents still load.
 */
export function spokenTemplateIssues(config: SpokenTemplates): string[] {
  const withoutDefault = new Set(
    (config.variables ?? []).filter((v) => v.default === undefined).map((v) => v.name),
  );
  if (withoutDefault.size === 0) return [];
  const issues: string[] = [];
  for (const [path, text] of [
    ['greeting', config.greeting],
    ['userIdle.prompt', config.userIdle?.prompt],
    ['userIdle.goodbye', config.userIdle?.goodbye],
  ] as const) {
    for (const [, name] of (text ?? '').matchAll(/\{\{\s*([\w.-]+)\s*\}\}/g)) {
      if (name === undefined || !withoutDefault.has(name)) continue;
      issues.push(
        `${path}: {{${name}}} has no default, so a call without it would say "${missingVariableText(name)}" to the caller; give variable ${name} a default`,
      );
    }
  }
  return issues;
}
