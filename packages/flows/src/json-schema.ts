/**
 * JSON Schema checks of function and tool parameters with Ajv (draft-07,
 * https://ajv.js.org/json-schema.html): a schema is checked when a flow or a tool is written,
 * and the LLM's arguments against it before a tool runs. Shared by the flow validator and the
 * server's webhook and MCP tools, so both refuse the same schemas with the same words.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';

// Not strict: schemas written for LLMs carry keywords (`format`, vendor hints) Ajv does not
// enforce; they are ignored, not refused. No logger: nothing is printed per schema.
const ajv = new Ajv({ strict: false, allErrors: true, logger: false, validateFormats: false });

/** One problem of a parameters schema. */
export interface SchemaProblem {
  /** Where in the schema, dotted (`properties.when.type`); `''` for the schema itself. */
  readonly path: string;
  /** What is wrong, in a sentence fragment (`must be array`). */
  readonly message: string;
}

/** Checks the LLM's arguments against a tool's schema: `[]` when valid, else one line per problem. */
export type ArgumentsValidator = (args: unknown) => string[];

/**
 * Problems of `schema` as the parameters of a function or tool: a root that is not
 * `type: "object"` (the arguments are an object), not a valid JSON Schema (Ajv's draft-07
 * meta-schema, e.g. `type: "banana"` in a property), or one Ajv cannot compile (e.g. an
 * unresolvable `$ref`).
 * @returns one problem each; empty when the schema is usable.
 */
export function parametersSchemaProblems(schema: Readonly<Record<string, unknown>>): SchemaProblem[] {
  if (schema.type !== 'object') {
    return [{ path: 'type', message: 'must be "object" (the arguments are an object)' }];
  }
  if (!ajv.validateSchema(schema)) {
    return (ajv.errors ?? []).map((e) => ({ path: dotted(e.instancePath), message: describeError(e) }));
  }
  try {
    compile(schema);
  } catch (error) {
    return [{ path: '', message: error instanceof Error ? error.message : String(error) }];
  }
  return [];
}

/**
 * A validator of arguments against `schema`, compiled once (build it once per call and tool).
 * @throws Error when the schema does not compile (check it with {@link parametersSchemaProblems} first).
 */
export function argumentsValidator(schema: Readonly<Record<string, unknown>>): ArgumentsValidator {
  const validate = compile(schema);
  return (args) =>
    (validate(args) ? [] : (validate.errors ?? [])).map((e) => {
      const where = dotted(e.instancePath);
      return `arguments${where ? `.${where}` : ''}: ${describeError(e)}`;
    });
}

/** Compiles without keeping the schema in Ajv's cache, which would otherwise grow with every call (and refuse a repeated `$id`). */
function compile(schema: Readonly<Record<string, unknown>>): ValidateFunction {
  try {
    return ajv.compile(schema);
  } finally {
    ajv.removeSchema(schema);
  }
}

/** A JSON Pointer (`/properties/when`) as a dotted path (`properties.when`). */
function dotted(pointer: string): string {
  return pointer.split('/').slice(1).join('.');
}

function describeError(e: ErrorObject): string {
  const params = e.params as { additionalProperty?: unknown; allowedValues?: unknown };
  const extra =
    e.keyword === 'additionalProperties'
      ? ` (${String(params.additionalProperty)})`
      : e.keyword === 'enum' && Array.isArray(params.allowedValues)
        ? `: ${params.allowedValues.join(', ')}`
        : '';
  return `${e.message ?? 'is invalid'}${extra}`;
}
