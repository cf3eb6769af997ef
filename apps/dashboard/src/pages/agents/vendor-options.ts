/**
 * Vendor options described by JSON Schema (`GET /api/vendors`): checking a value against its
 * schema and naming fields, so that the form shows a problem at the option it concerns.
 */
import type { JsonSchema } from './agent-api.ts';

/**
 * What is wrong with `value` for `schema` (the subset the vendors use), or `undefined` when it
 * fits. `undefined` values always fit: every vendor option is optional or defaulted.
 */
export function optionProblem(schema: JsonSchema, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (schema.enum !== undefined) {
    return schema.enum.includes(value) ? undefined : `One of ${schema.enum.map(String).join(', ')}`;
  }
  switch (schema.type) {
    case 'string':
      return stringProblem(schema, value);
    case 'number':
    case 'integer':
      return numberProblem(schema, value);
    case 'boolean':
      return typeof value === 'boolean' ? undefined : 'Yes or no';
    case 'array': {
      if (!Array.isArray(value)) return 'A list';
      if (schema.maxItems !== undefined && value.length > schema.maxItems) {
        return `At most ${schema.maxItems} entries`;
      }
      const item = schema.items;
      const bad = item === undefined ? undefined : value.map((v) => optionProblem(item, v)).find(Boolean);
      return bad === undefined ? undefined : `Each entry: ${bad}`;
    }
    default:
      return undefined;
  }
}

function stringProblem(schema: JsonSchema, value: unknown): string | undefined {
  if (typeof value !== 'string') return 'Text';
  if (schema.minLength !== undefined && value.trim().length < schema.minLength) {
    return schema.minLength === 1 ? 'Must not be empty' : `At least ${schema.minLength} characters`;
  }
  if (schema.maxLength !== undefined && value.length > schema.maxLength) {
    return `At most ${schema.maxLength} characters`;
  }
  if (schema.pattern !== undefined && !new RegExp(schema.pattern).test(value)) {
    return `Must match ${schema.pattern}`;
  }
  return undefined;
}

function numberProblem(schema: JsonSchema, value: unknown): string | undefined {
  if (typeof value !== 'number' || Number.isNaN(value)) return 'Enter a number';
  if (schema.type === 'integer' && !Number.isInteger(value)) return 'Enter a whole number';
  if (schema.minimum !== undefined && value < schema.minimum) return `At least ${schema.minimum}`;
  if (schema.maximum !== undefined && value > schema.maximum) return `At most ${schema.maximum}`;
  return undefined;
}

/**
 * Every problem of a service's options (`service` holds them beside `provider`), as
 * `[option path, problem]`, nested objects included (`voiceSettings.speed`).
 */
export function optionProblems(schema: JsonSchema, service: Record<string, unknown>): [string, string][] {
  const out: [string, string][] = [];
  for (const [key, option] of Object.entries(schema.properties ?? {})) {
    const value = service[key];
    if (option.type === 'object' && option.properties !== undefined) {
      if (value === undefined) continue;
      if (typeof value !== 'object' || value === null) {
        out.push([key, 'A group of settings']);
        continue;
      }
      for (const [sub, problem] of optionProblems(option, value as Record<string, unknown>)) {
        out.push([`${key}.${sub}`, problem]);
      }
      continue;
    }
    const problem = optionProblem(option, value);
    if (problem !== undefined) out.push([key, problem]);
  }
  return out;
}

/** Every option path of `schema`, nested ones included (`voiceSettings.speed`). */
export function optionPaths(schema: JsonSchema): string[] {
  return Object.entries(schema.properties ?? {}).flatMap(([key, option]) =>
    option.type === 'object' && option.properties !== undefined
      ? optionPaths(option).map((sub) => `${key}.${sub}`)
      : [key],
  );
}

/** A label for an option key: `endpointingMs` → `Endpointing ms`. */
export function optionLabel(key: string): string {
  const words = key.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}
