/**
 * The agent form's model: its values (the stored configuration's shape, with the nested
 * settings the form edits as JSON kept as text), their zod schema (the server's rules, so that
 * most mistakes show before a request), and the conversions to and from the API's `config`.
 */
import { z } from 'zod';
import {
  type Agent,
  type AgentConfig,
  SERVICE_KINDS,
  type ServiceConfig,
  type ServiceKind,
  type Vendors,
} from './agent-api.ts';
import {
  toTransferConfig,
  toTransferValues,
  transferFieldNames,
  transferProblems,
  transferSchema,
} from './transfer-form-model.ts';
import { optionPaths, optionProblems } from './vendor-options.ts';

/** One service in the form: `provider`, access fields, and the vendor's options beside them. */
export type ServiceValues = {
  provider: string;
  credential?: string | undefined;
  baseUrl?: string | undefined;
  responseTimeoutSecs?: number | undefined;
} & Record<string, unknown>;

/**
 * One declared `{{variable}}`; `default` is text until saved. Empty text is `''`, not
 * `undefined`: react-hook-form shows an `undefined` field of a row with the value the row that
 * was at that index had when the form loaded, so removing a row would shift its neighbours' texts.
 */
export interface VariableValues {
  name: string;
  type: 'string' | 'number' | 'boolean';
  required: boolean;
  default: string;
  description: string;
}

/** The settings the form edits as JSON text (each a whole object or list, or empty for none). */
export const JSON_SETTINGS = ['mcpServers', 'preCall', 'postCall'] as const;

const slug = /^[a-z0-9][a-z0-9-]{0,63}$/;
const credentialName = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

const text = z.string().trim().min(1, 'Must not be empty');
const num = (message = 'Enter a number') => z.number({ error: message });
const positive = num().positive('Must be more than 0');
const nonNegative = num().min(0, 'Must be 0 or more');
const fraction = num().min(0, 'Between 0 and 1').max(1, 'Between 0 and 1');
const wholeNonNegative = num().int('Enter a whole number').min(0, 'Must be 0 or more');

const serviceSchema = z.looseObject({
  provider: z.string().min(1, 'Choose a provider'),
  credential: z
    .string()
    .regex(credentialName, 'A credential name: letters, digits, "_", "." or "-"')
    .optional(),
  baseUrl: z.url({ protocol: /^https?$/, error: 'An http(s) URL' }).optional(),
  responseTimeoutSecs: positive.max(120, 'At most 120').optional(),
});

const jsonText = z.string().refine(
  (value) => {
    if (value.trim() === '') return true;
    try {
      const parsed: unknown = JSON.parse(value);
      return typeof parsed === 'object' && parsed !== null;
    } catch {
      return false;
    }
  },
  { message: 'Not valid JSON (an object or a list, or empty for none)' },
);

const variableSchema = z
  .object({
    name: z.string().regex(/^[A-Za-z_][\w.-]{0,63}$/, 'A name: letters, digits, "_", "." or "-"'),
    type: z.enum(['string', 'number', 'boolean']),
    required: z.boolean(),
    default: z.string().max(2000),
    description: z.string().max(500),
  })
  .refine((v) => v.default === '' || toVariableDefault(v) !== undefined, {
    message: 'Must be of the variable’s type (a number, or true / false)',
    path: ['default'],
  });

/** The form's schema; vendor options are checked against `vendors` (when known). */
export function agentFormSchema(vendors: Vendors | undefined) {
  return z
    .object({
      id: z.string().regex(slug, 'Lower-case letters, digits and "-" (at most 64)'),
      name: z.string().trim().min(1, 'Give the agent a name').max(200, 'At most 200 characters'),
      prompt: z.string().trim().min(1, 'Write the agent’s prompt'),
      greeting: z.string().min(1).optional(),
      language: z.string().trim().min(2, 'A BCP 47 tag such as en-US'),
      stt: serviceSchema,
      llm: serviceSchema,
      tts: serviceSchema,
      failover: z.object({
        stt: z.array(serviceSchema).max(3, 'At most 3'),
        llm: z.array(serviceSchema).max(3, 'At most 3'),
        tts: z.array(serviceSchema).max(3, 'At most 3'),
      }),
      vad: z.object({
        confidence: fraction.optional(),
        startSecs: nonNegative.optional(),
        stopSecs: nonNegative.optional(),
        minVolume: fraction.optional(),
      }),
      turns: z.object({
        minEndpointingDelaySecs: nonNegative.optional(),
        maxEndpointingDelaySecs: nonNegative.optional(),
        interruptions: z.boolean().optional(),
        minInterruptionSecs: nonNegative.optional(),
        minInterruptionWords: wholeNonNegative.optional(),
        falseInterruptionTimeoutSecs: nonNegative.optional(),
        backchannels: z.array(text).optional(),
        muteDuringGreeting: z.boolean().optional(),
        muteDuringFunctionCalls: z.boolean().optional(),
      }),
      userIdle: z.object({
        enabled: z.boolean().optional(),
        timeoutSecs: positive.optional(),
        maxPrompts: wholeNonNegative.optional(),
        prompt: text.optional(),
        goodbye: text.optional(),
      }),
      idleTimeoutSecs: positive.optional(),
      maxDurationSecs: positive.optional(),
      apologies: z.object({ stt: text.optional(), llm: text.optional(), tts: text.optional() }),
      tools: z.array(z.string()).max(32, 'At most 32 tools'),
      transfer: transferSchema,
      variables: z.array(variableSchema).max(100, 'At most 100 variables'),
      mcpServers: jsonText,
      preCall: jsonText,
      postCall: jsonText,
    })
    .superRefine((values, ctx) => {
      const min = values.turns.minEndpointingDelaySecs ?? 0.5;
      if ((values.turns.maxEndpointingDelaySecs ?? 3) < min) {
        ctx.addIssue({
          code: 'custom',
          path: ['turns', 'maxEndpointingDelaySecs'],
          message: 'Must be at least the shortest wait (defaults 3 and 0.5)',
        });
      }
      const names = values.variables.map((v) => v.name);
      names.forEach((name, i) => {
        if (names.indexOf(name) !== i) {
          ctx.addIssue({ code: 'custom', path: ['variables', i, 'name'], message: 'Used twice' });
        }
      });
      for (const [path, message] of transferProblems(values.transfer, values.tools)) {
        ctx.addIssue({ code: 'custom', path, message });
      }
      if (vendors === undefined) return;
      for (const [path, service] of serviceSlots(values)) {
        const vendor = vendors[path.kind].find((v) => v.provider === service.provider);
        if (vendor === undefined) continue;
        for (const [option, message] of optionProblems(vendor.options, service)) {
          ctx.addIssue({ code: 'custom', path: [...path.at, ...option.split('.')], message });
        }
      }
    });
}

/** The form's values. */
export type AgentFormValues = z.input<ReturnType<typeof agentFormSchema>>;

interface SlotPath {
  readonly kind: ServiceKind;
  /** Where the service is in the values, e.g. `['failover', 'llm', 0]`. */
  readonly at: (string | number)[];
}

/** Every service of `values` with where it is: `stt`, `llm`, `tts`, then the failover lists. */
export function serviceSlots(
  values: Pick<AgentFormValues, ServiceKind | 'failover'>,
): [SlotPath, ServiceValues][] {
  const out: [SlotPath, ServiceValues][] = SERVICE_KINDS.map((kind) => [{ kind, at: [kind] }, values[kind]]);
  for (const kind of SERVICE_KINDS) {
    values.failover[kind].forEach((service, i) => {
      out.push([{ kind, at: ['failover', kind, i] }, service]);
    });
  }
  return out;
}

/** The typed default, `undefined` for none (empty text) or one not of the variable's type. */
function toVariableDefault(v: { type: string; default: string }): string | number | boolean | undefined {
  if (v.default === '') return undefined;
  if (v.type === 'string') return v.default;
  if (v.type === 'number') {
    const n = Number(v.default);
    return v.default.trim() === '' || Number.isNaN(n) ? undefined : n;
  }
  return v.default === 'true' ? true : v.default === 'false' ? false : undefined;
}

type Json = Record<string, unknown>;

function obj(value: unknown): Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : {};
}

function jsonOf(value: unknown): string {
  return value === undefined ? '' : JSON.stringify(value, null, 2);
}

/** The form's values for `agent` (or a new agent using each kind's default vendor). */
export function toFormValues(agent: Agent | undefined, vendors: Vendors | undefined): AgentFormValues {
  const config: Partial<AgentConfig> = agent?.config ?? {};
  const service = (kind: ServiceKind): ServiceValues => ({
    ...(config[kind] ?? { provider: vendors?.[kind][0]?.provider ?? '' }),
  });
  const failover = obj(config.failover);
  const list = (kind: ServiceKind) =>
    Array.isArray(failover[kind]) ? (failover[kind] as ServiceConfig[]).map((s) => ({ ...s })) : [];
  const variables = Array.isArray(config.variables) ? (config.variables as Json[]) : [];
  return {
    id: agent?.id ?? '',
    name: agent?.name ?? '',
    prompt: config.prompt ?? '',
    greeting: config.greeting,
    language: config.language ?? 'en-US',
    stt: service('stt'),
    llm: service('llm'),
    tts: service('tts'),
    failover: { stt: list('stt'), llm: list('llm'), tts: list('tts') },
    vad: { ...obj(config.vad) },
    turns: { ...obj(config.turns) },
    userIdle: { ...obj(config.userIdle) },
    idleTimeoutSecs: config.idleTimeoutSecs as number | undefined,
    maxDurationSecs: config.maxDurationSecs as number | undefined,
    apologies: { ...obj(config.apologies) },
    tools: Array.isArray(config.tools) ? (config.tools as string[]) : [],
    transfer: toTransferValues(config.transfer),
    variables: variables.map((v) => ({
      name: String(v.name ?? ''),
      type: (v.type as VariableValues['type']) ?? 'string',
      required: v.required === true,
      default: v.default === undefined ? '' : String(v.default),
      description: typeof v.description === 'string' ? v.description : '',
    })),
    mcpServers: jsonOf(config.mcpServers),
    preCall: jsonOf(config.preCall),
    postCall: jsonOf(config.postCall),
  } as AgentFormValues;
}

/** Drops `undefined` fields, and objects and lists left empty by that (deeply). */
function prune(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(prune);
  if (typeof value !== 'object' || value === null) return value;
  const out: Json = {};
  for (const [key, v] of Object.entries(value)) {
    const pruned = prune(v);
    if (pruned === undefined) continue;
    if (
      typeof pruned === 'object' &&
      pruned !== null &&
      !Array.isArray(pruned) &&
      Object.keys(pruned).length === 0
    )
      continue;
    out[key] = pruned;
  }
  return out;
}

/** The configuration keys the form edits; others of a stored agent are kept as they are. */
const FORM_SETTINGS = new Set([
  'prompt',
  'greeting',
  'language',
  ...SERVICE_KINDS,
  'failover',
  'vad',
  'turns',
  'userIdle',
  'idleTimeoutSecs',
  'maxDurationSecs',
  'apologies',
  'tools',
  'transfer',
  'variables',
  ...JSON_SETTINGS,
]);

/**
 * The API's `{ name, config }` for valid form values; settings of `stored` (the configuration
 * the form started from) that the form does not know are sent back unchanged.
 */
export function toAgentBody(values: AgentFormValues, stored?: AgentConfig): { name: string; config: Json } {
  const {
    id: _id,
    name,
    failover,
    tools,
    transfer,
    variables,
    mcpServers,
    preCall,
    postCall,
    ...rest
  } = values;
  const parse = (json: string): unknown => (json.trim() === '' ? undefined : JSON.parse(json));
  const config = prune({
    ...rest,
    failover: Object.fromEntries(
      SERVICE_KINDS.filter((k) => failover[k].length > 0).map((k) => [k, failover[k]]),
    ),
    tools: tools.length > 0 ? tools : undefined,
    transfer: toTransferConfig(transfer),
    variables:
      variables.length > 0
        ? variables.map((v) => ({
            name: v.name,
            type: v.type,
            ...(v.required ? { required: true } : {}),
            default: toVariableDefault(v),
            description: v.description === '' ? undefined : v.description,
          }))
        : undefined,
    mcpServers: parse(mcpServers),
    preCall: parse(preCall),
    postCall: parse(postCall),
  }) as Json;
  const kept = Object.entries(stored ?? {}).filter(([key]) => !FORM_SETTINGS.has(key));
  return { name: name.trim(), config: { ...Object.fromEntries(kept), ...config } };
}

/** The form fields an issue of the API can be shown at, for the values' current providers. */
export function formFieldNames(values: AgentFormValues, vendors: Vendors | undefined): Set<string> {
  const names = new Set<string>([
    'id',
    'name',
    'prompt',
    'greeting',
    'language',
    'idleTimeoutSecs',
    'maxDurationSecs',
    'tools',
    ...JSON_SETTINGS,
    ...['confidence', 'startSecs', 'stopSecs', 'minVolume'].map((k) => `vad.${k}`),
    ...[
      'minEndpointingDelaySecs',
      'maxEndpointingDelaySecs',
      'interruptions',
      'minInterruptionSecs',
      'minInterruptionWords',
      'falseInterruptionTimeoutSecs',
      'backchannels',
      'muteDuringGreeting',
      'muteDuringFunctionCalls',
    ].map((k) => `turns.${k}`),
    ...['enabled', 'timeoutSecs', 'maxPrompts', 'prompt', 'goodbye'].map((k) => `userIdle.${k}`),
    ...SERVICE_KINDS.map((k) => `apologies.${k}`),
    ...transferFieldNames(values.transfer),
  ]);
  values.variables.forEach((_, i) => {
    for (const k of ['name', 'type', 'required', 'default', 'description']) names.add(`variables.${i}.${k}`);
  });
  for (const [{ kind, at }, service] of serviceSlots(values)) {
    const base = at.join('.');
    names.add(`${base}.provider`);
    const vendor = vendors?.[kind].find((v) => v.provider === service.provider);
    if (vendor?.access) {
      names.add(`${base}.credential`);
      names.add(`${base}.baseUrl`);
    }
    if (vendor?.responseTimeout) names.add(`${base}.responseTimeoutSecs`);
    for (const option of vendor ? optionPaths(vendor.options) : []) names.add(`${base}.${option}`);
  }
  return names;
}

/**
 * The field an issue path of the API (`llm.temperature`, `preCall.url`, `(root)`) belongs to:
 * the longest prefix of it that is one of `fields`, or `''` when none is.
 */
export function fieldOfIssue(path: string, fields: ReadonlySet<string>): string {
  const parts = path.split('.');
  for (let n = parts.length; n > 0; n--) {
    const candidate = parts.slice(0, n).join('.');
    if (fields.has(candidate)) return candidate;
  }
  return '';
}
