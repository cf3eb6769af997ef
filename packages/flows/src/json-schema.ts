/**
 * JSON Schema checks of function and tool parameters with Ajv (https://ajv.js.org/json-schema.html):
 * a schema is checked when a flow or a tool is written, and the LLM's arguments against it
 * before a tool runs. Shared by the flow validator and the server's webhook and MCP tools, so
 * they refuse the same schemas with the same words. Draft-07 unless the schema's `$schema`
 * names draft 2020-12 (what some MCP servers send); other `$schema` values are refused.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';

// Not strict: schemas written for LLMs carry keywords (`format`, vendor hints) Ajv does not
// enforce; they are ignored, not refused. No logger: nothing is printed per schema.
const OPTIONS = { strict: false, allErrors: true, logger: false, validateFormats: false } as const;
const draft07 = new Ajv(OPTIONS);
const draft2020 = new Ajv2020(OPTIONS);
const DRAFT_07 = /^https?:\/\/json-schema\.org\/draft-07\/schema#?$/;
const DRAFT_2020 = /^https?:\/\/json-schema\.org\/draft\/2020-12\/schema#?$/;

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
  const ajv = ajvFor(schema);
  if (!ajv) {
    return [{ path: '$schema', message: 'must be JSON Schema draft-07 or 2020-12 (or left out: draft-07)' }];
  }
  if (!ajv.validateSchema(schema)) {
    return withoutBranchNoise(ajv.errors ?? []).map((e) => ({
      path: dotted(e.instancePath),
      message: describeError(e),
    }));
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

/** The Ajv instance of the schema's `$schema`; `undefined` for a dialect neither knows. */
function ajvFor(schema: Readonly<Record<string, unknown>>): Ajv | Ajv2020 | undefined {
  const dialect = schema.$schema;
  if (dialect === undefined || (typeof dialect === 'string' && DRAFT_07.test(dialect))) return draft07;
  if (typeof dialect === 'string' && DRAFT_2020.test(dialect)) return draft2020;
  return undefined;
}

/** Compiles without keeping the schema in Ajv's cache, which would otherwise grow with every call (and refuse a repeated `$id`). */
function compile(schema: Readonly<Record<string, unknown>>): ValidateFunction {
  const ajv = ajvFor(schema);
  if (!ajv) throw new Error(`unsupported $schema ${JSON.stringify(schema.$schema)}`);
  try {
    return ajv.compile(schema);
  } finally {
    ajv.removeSchema(schema);
  }
}

/**
 * A failed `anyOf` of the meta-schema reports each branch and itself (`type: "banana"`: not one
 * of the allowed values, not an array, no branch matched); where a branch lists the allowed
 * values, that error alone says what to write.
 */
function withoutBranchNoise(errors: readonly ErrorObject[]): ErrorObject[] {
  const listed = new Set(errors.filter((e) => e.keyword === 'enum').map((e) => e.instancePath));
  return errors.filter((e) => !listed.has(e.instancePath) || e.keyword === 'enum');
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
