/**
 * JSON Schema checks of tool parameters with Ajv (draft-07, https://ajv.js.org/json-schema.html):
 * a schema is checked when a tool is written, and the LLM's arguments against it before a
 * tool runs.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';

// Not strict: schemas written for LLMs carry keywords (`format`, vendor hints) Ajv does not
// enforce; they are ignored, not refused. No logger: nothing is printed per schema.
const ajv = new Ajv({ strict: false, allErrors: true, logger: false, validateFormats: false });

/** Checks the LLM's arguments against a tool's schema: `[]` when valid, else one line per problem. */
export type ArgumentsValidator = (args: unknown) => string[];

/**
 * Problems of `schema` as a tool's parameters: not a valid JSON Schema (Ajv's meta-schema), a
 * root that is not `type: "object"`, or one Ajv cannot compile (e.g. an unresolvable `$ref`).
 * @returns one readable line per problem; empty when the schema is usable.
 */
export function parametersSchemaIssues(schema: Readonly<Record<string, unknown>>): string[] {
  if (schema.type !== 'object') return ['parameters.type: must be "object" (the arguments are an object)'];
  if (!ajv.validateSchema(schema)) return formatErrors(ajv.errors, 'parameters');
  try {
    compile(schema);
  } catch (error) {
    return [`parameters: ${error instanceof Error ? error.message : String(error)}`];
  }
  return [];
}

/**
 * A validator of arguments against `schema`, compiled once (build it once per call and tool).
 * @throws Error when the schema does not compile (check it with {@link parametersSchemaIssues} first).
 */
export function argumentsValidator(schema: Readonly<Record<string, unknown>>): ArgumentsValidator {
  const validate = compile(schema);
  return (args) => (validate(args) ? [] : formatErrors(validate.errors, 'arguments'));
}

/** Compiles without keeping the schema in Ajv's cache, which would otherwise grow with every call (and refuse a repeated `$id`). */
function compile(schema: Readonly<Record<string, unknown>>): ValidateFunction {
  try {
    return ajv.compile(schema);
  } finally {
    ajv.removeSchema(schema);
  }
}

function formatErrors(errors: readonly ErrorObject[] | null | undefined, root: string): string[] {
  return (errors ?? []).map((e) => {
    const where = e.instancePath === '' ? root : `${root}${e.instancePath.replaceAll('/', '.')}`;
    const extra =
      e.keyword === 'additionalProperties'
        ? ` (${String((e.params as { additionalProperty?: unknown }).additionalProperty)})`
        : '';
    return `${where}: ${e.message ?? 'is invalid'}${extra}`;
  });
}
