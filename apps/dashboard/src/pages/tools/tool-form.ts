/**
 * The webhook tool form: what the API holds (`/api/tools`, see the server's
 * `calls/tools/tool-schema.ts`), the form's own shape (parameters as JSON text, headers as rows)
 * and the conversions between them.
 */
import { z } from 'zod';

/** HTTP methods a tool may use. */
export const TOOL_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

/** A header value read from a stored `generic` credential. */
export interface CredentialHeader {
  readonly credential: string;
  readonly field: string;
  readonly prefix?: string;
}

/** A tool as `GET /api/tools/:id` answers it. */
export interface Tool {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly parameters: Record<string, unknown>;
  readonly url: string;
  readonly method: (typeof TOOL_METHODS)[number];
  readonly headers: Record<string, string | CredentialHeader>;
  readonly timeoutSecs: number;
  readonly retries: number;
  readonly maxResponseChars: number;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** `POST /api/tools/:id/test`'s answer. */
export interface ToolTestResult {
  readonly ok: boolean;
  readonly status?: number;
  readonly durationMs: number;
  readonly attempts: number;
  readonly request?: {
    readonly method: string;
    readonly url: string;
    readonly headers: Record<string, string>;
    readonly body?: string;
  };
  readonly response?: { readonly status: number; readonly body: string };
  readonly result: string;
  readonly error?: string;
}

/** Parses `text` as a JSON object, or says why it is not one. */
export function parseJsonObject(text: string): { value: Record<string, unknown> } | { error: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { error: `Not valid JSON: ${error instanceof Error ? error.message : String(error)}` };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { error: 'Must be a JSON object ({ … })' };
  }
  return { value: value as Record<string, unknown> };
}

/** What the form checks before sending; the server checks the JSON Schema fully (Ajv). */
function parametersIssue(text: string): string | undefined {
  const parsed = parseJsonObject(text);
  if ('error' in parsed) return parsed.error;
  if (parsed.value.type !== 'object') return 'The root must be { "type": "object", … }';
  const properties = parsed.value.properties;
  if (
    properties !== undefined &&
    (typeof properties !== 'object' || properties === null || Array.isArray(properties))
  ) {
    return '"properties" must be an object';
  }
  return undefined;
}

const headerRowSchema = z
  .object({
    name: z
      .string()
      .trim()
      .regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}$/, 'An HTTP header name'),
    source: z.enum(['text', 'credential']),
    value: z.string().max(1000),
    credential: z.string().trim(),
    field: z.string().trim(),
    prefix: z.string().max(40),
  })
  .superRefine((row, ctx) => {
    if (row.source !== 'credential') return;
    if (!/^[a-z0-9][a-z0-9._-]{0,99}$/.test(row.credential)) {
      ctx.addIssue({ code: 'custom', path: ['credential'], message: 'Name a stored generic credential' });
    }
    if (!/^[A-Za-z0-9_.-]{1,64}$/.test(row.field)) {
      ctx.addIssue({ code: 'custom', path: ['field'], message: "The credential's field holding the value" });
    }
  });

/** The form's values (numbers as numbers, parameters as JSON text, headers as rows). */
export const toolFormSchema = z.object({
  id: z
    .string()
    .trim()
    .regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'Lower-case letters, digits, "_" and "-" (at most 64)'),
  name: z
    .string()
    .trim()
    .regex(/^[a-zA-Z0-9_-]{1,64}$/, 'Letters, digits, "_" and "-" (at most 64)'),
  description: z.string().trim().min(1, 'Say what the tool does and when to call it').max(2000),
  parameters: z.string().superRefine((text, ctx) => {
    const issue = parametersIssue(text);
    if (issue !== undefined) ctx.addIssue({ code: 'custom', message: issue });
  }),
  url: z
    .string()
    .trim()
    .min(1, 'Enter the URL')
    .regex(/^https?:\/\//, 'An http:// or https:// URL'),
  method: z.enum(TOOL_METHODS),
  headers: z.array(headerRowSchema),
  timeoutSecs: z.number({ error: 'A number of seconds' }).positive('More than 0').max(60, 'At most 60'),
  retries: z
    .number({ error: 'A whole number' })
    .int('A whole number')
    .min(0, 'At least 0')
    .max(3, 'At most 3'),
  maxResponseChars: z
    .number({ error: 'A whole number' })
    .int('A whole number')
    .min(100, 'At least 100')
    .max(20_000, 'At most 20000'),
});

/** The tool form's values. */
export type ToolForm = z.infer<typeof toolFormSchema>;
/** One header row of the form. */
export type HeaderRow = ToolForm['headers'][number];

/** An empty header row. */
export const EMPTY_HEADER: HeaderRow = {
  name: '',
  source: 'text',
  value: '',
  credential: '',
  field: '',
  prefix: '',
};

/** The values of a new tool's form. */
export const NEW_TOOL_FORM: ToolForm = {
  id: '',
  name: '',
  description: '',
  parameters: JSON.stringify({ type: 'object', properties: {}, required: [] }, null, 2),
  url: 'https://',
  method: 'POST',
  headers: [],
  timeoutSecs: 10,
  retries: 0,
  maxResponseChars: 2000,
};

/** The form's values for a stored tool. */
export function toolToForm(tool: Tool): ToolForm {
  return {
    id: tool.id,
    name: tool.name,
    description: tool.description,
    parameters: JSON.stringify(tool.parameters, null, 2),
    url: tool.url,
    method: tool.method,
    headers: Object.entries(tool.headers).map(([name, value]) =>
      typeof value === 'string'
        ? { ...EMPTY_HEADER, name, value }
        : {
            ...EMPTY_HEADER,
            name,
            source: 'credential',
            credential: value.credential,
            field: value.field,
            prefix: value.prefix ?? '',
          },
    ),
    timeoutSecs: tool.timeoutSecs,
    retries: tool.retries,
    maxResponseChars: tool.maxResponseChars,
  };
}

/** The body of `PUT /api/tools/:id` for validated form values. */
export function formToDefinition(form: ToolForm): Record<string, unknown> {
  const parsed = parseJsonObject(form.parameters);
  const headers: Record<string, string | CredentialHeader> = {};
  for (const row of form.headers) {
    headers[row.name] =
      row.source === 'text'
        ? row.value
        : {
            credential: row.credential,
            field: row.field,
            ...(row.prefix === '' ? {} : { prefix: row.prefix }),
          };
  }
  return {
    name: form.name,
    description: form.description,
    parameters: 'value' in parsed ? parsed.value : {},
    url: form.url,
    method: form.method,
    headers,
    timeoutSecs: form.timeoutSecs,
    retries: form.retries,
    maxResponseChars: form.maxResponseChars,
  };
}

/**
 * Where the API's issue paths go on the form: `parameters.properties.x` → `parameters`,
 * `headers.Authorization` → that header row's value (or credential); unknown paths → undefined.
 */
export function formFieldOf(path: string, headers: readonly HeaderRow[]): string | undefined {
  const [head, ...rest] = path.split('.');
  if (head === undefined) return undefined;
  if (
    ['id', 'name', 'description', 'url', 'method', 'timeoutSecs', 'retries', 'maxResponseChars'].includes(
      head,
    )
  ) {
    return head;
  }
  if (head === 'parameters') return 'parameters';
  if (head === 'headers') {
    const name = rest.join('.');
    const index = headers.findIndex((row) => row.name === name);
    if (index < 0) return undefined;
    return headers[index]?.source === 'credential' ? `headers.${index}.credential` : `headers.${index}.value`;
  }
  return undefined;
}

/** Sample arguments for "Try it": each property of the schema with an example of its type (or its first enum value). */
export function sampleArguments(parameters: Record<string, unknown>): Record<string, unknown> {
  const properties = parameters.properties;
  if (typeof properties !== 'object' || properties === null) return {};
  const out: Record<string, unknown> = {};
  for (const [name, raw] of Object.entries(properties as Record<string, unknown>)) {
    const schema = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>) : {};
    if (Array.isArray(schema.enum) && schema.enum.length > 0) out[name] = schema.enum[0];
    else if (schema.type === 'number' || schema.type === 'integer') out[name] = 1;
    else if (schema.type === 'boolean') out[name] = true;
    else if (schema.type === 'array') out[name] = [];
    else if (schema.type === 'object') out[name] = {};
    else out[name] = 'example';
  }
  return out;
}
