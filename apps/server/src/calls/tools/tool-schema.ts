/**
 * The shapes of webhook tools (`tools` table, `/api/tools`) and of an agent's MCP servers, as
 * validated at the boundary with zod. A header that carries a secret names a stored `generic`
 * credential; its value is read when a request is made, never stored with the tool.
 */
import { z } from 'zod';
import { credentialNameSchema } from '../../credentials/kinds.ts';

/**
 * The name the LLM sees and calls (OpenAI's function-name rule,
 * https://platform.openai.com/docs/api-reference/chat/create#chat-create-tools).
 */
export const toolNameSchema = z
  .string()
  .regex(/^[a-zA-Z0-9_-]{1,64}$/, 'letters, digits, "_" and "-" (at most 64)');

/** A stored tool's id: a slug, like an agent's. */
export const toolIdSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'lower-case letters, digits, "_" and "-" (at most 64)');

/** A header value read from a `generic` credential bound to the request's origin. */
export const credentialHeaderSchema = z.strictObject({
  /** Name of a `generic` credential whose destination is the URL's origin. */
  credential: credentialNameSchema,
  /** The credential's field holding the value. */
  field: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'a field name: letters, digits, "_", "." or "-"'),
  /** Text put before the secret, e.g. `Bearer `. */
  prefix: z.string().max(40).optional(),
});

/** A header reference to a credential (see {@link credentialHeaderSchema}). */
export type CredentialHeader = z.output<typeof credentialHeaderSchema>;

/** Headers whose values are always secrets: a literal value is refused (name a credential). */
const SECRET_HEADER = /^(authorization|proxy-authorization|cookie)$|api[-_]?key|token|secret|password/i;
/** Headers the HTTP client sets itself. */
const RESERVED_HEADER = /^(host|content-length|connection|transfer-encoding|keep-alive|upgrade|te|trailer)$/i;

/**
 * Request headers by name: each value is literal text (not a secret) or a
 * {@link CredentialHeader}. Names that usually carry secrets (`Authorization`, `Cookie`, any
 * with `key`, `token`, `secret` or `password`) must name a credential.
 */
export const headersSchema = z
  .record(
    z.string().regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}$/, 'an HTTP header name'),
    z.union([z.string().max(1000), credentialHeaderSchema]),
  )
  .superRefine((headers, ctx) => {
    if (Object.keys(headers).length > 20) ctx.addIssue({ code: 'custom', message: 'at most 20 headers' });
    for (const [name, value] of Object.entries(headers)) {
      if (RESERVED_HEADER.test(name)) {
        ctx.addIssue({ code: 'custom', path: [name], message: 'set by the HTTP client; leave it out' });
      } else if (typeof value === 'string' && SECRET_HEADER.test(name)) {
        ctx.addIssue({
          code: 'custom',
          path: [name],
          message:
            'a secret: refer to a generic credential ({ credential, field }) instead of a literal value',
        });
      }
    }
  });

/** Request headers (see {@link headersSchema}). */
export type ToolHeaders = z.output<typeof headersSchema>;

/** HTTP methods of webhook tools: GET sends the arguments in the query, the others as a JSON body. */
export const TOOL_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

/** A webhook tool as written (`PUT /api/tools/:id`), before defaults. */
export const toolDefinitionSchema = z.strictObject({
  /** The function name the LLM sees ({@link toolNameSchema}). */
  name: toolNameSchema,
  /** What the tool does and when to call it: the LLM reads it to decide. */
  description: z.string().trim().min(1).max(2000),
  /**
   * JSON Schema of the arguments object (`type: "object"` at the root), checked with Ajv when
   * written and applied to the LLM's arguments before any request. Default: no arguments.
   */
  parameters: z.record(z.string(), z.unknown()).default({ type: 'object', properties: {} }),
  /**
   * `http:`/`https:` URL; `{{name}}` in its path or query is filled, URL-encoded, from the
   * arguments, then the call's context variables. The origin must be literal: credentials are
   * bound to it.
   */
  url: z.string().min(1).max(2000),
  method: z.enum(TOOL_METHODS).default('POST'),
  headers: headersSchema.default({}),
  /** Longest wait for one attempt's response, s. Default 10. */
  timeoutSecs: z.number().positive().max(60).default(10),
  /** Retries after a 429, a 5xx or a network error (not a timeout), with backoff. Default 0. */
  retries: z.number().int().min(0).max(3).default(0),
  /** The response text the LLM reads is cut to this many characters, with a note. Default 2000. */
  maxResponseChars: z.number().int().min(100).max(20_000).default(2000),
});

/** A validated webhook tool definition, with defaults applied. */
export type ToolDefinitionConfig = z.output<typeof toolDefinitionSchema>;
/** What `PUT /api/tools/:id` accepts. */
export type ToolDefinitionInput = z.input<typeof toolDefinitionSchema>;

/** One MCP server an agent attaches (Streamable HTTP). */
export const mcpServerSchema = z.strictObject({
  /** Short name, for logs and to prefix a tool whose name clashes with another's. */
  name: z.string().regex(/^[a-zA-Z0-9_-]{1,32}$/, 'letters, digits, "_" and "-" (at most 32)'),
  /** The server's Streamable HTTP endpoint (https://modelcontextprotocol.io/specification/2025-06-18/basic/transports#streamable-http). */
  url: z.url({ protocol: /^https?$/ }),
  /** Headers of every request, literal or credential references, as for webhook tools. */
  headers: headersSchema.optional(),
  /** Only these tools (by the server's names) are offered to the LLM; default: all it lists. */
  allowTools: z.array(z.string().min(1).max(128)).max(100).optional(),
  /** Longest wait for each tool call, s. Default 10 (connecting and listing at call start wait at most 5 s). */
  timeoutSecs: z.number().positive().max(60).optional(),
});

/** An MCP server of an agent (see {@link mcpServerSchema}). */
export type McpServerConfig = z.output<typeof mcpServerSchema>;
