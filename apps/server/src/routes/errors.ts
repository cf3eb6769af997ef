/**
 * The JSON error shape of Parley's HTTP API and the Fastify handlers that produce it for
 * every failure: bad input, unknown routes and unexpected errors.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { formatIssues } from '../config/agent-config.ts';
import { JSON_TOO_DEEP } from '../limits/json-body.ts';

/**
 * The body of every error response: `{ error: { code, message, issues?, requestId? } }`.
 * `code` is a stable snake_case identifier for programs, `message` a sentence for people.
 */
export interface ApiErrorBody {
  readonly error: {
    readonly code: string;
    readonly message: string;
    /** One `path: problem` line per invalid field, for validation errors. */
    readonly issues?: readonly string[];
    /** Fastify's request id, on 500 responses, to find the logged error. */
    readonly requestId?: string;
  };
}

/** Builds an {@link ApiErrorBody}. */
export function apiError(code: string, message: string, issues?: readonly string[]): ApiErrorBody {
  return { error: { code, message, ...(issues === undefined ? {} : { issues }) } };
}

/** Sends an {@link ApiErrorBody} with `statusCode`; returns the reply, for `return sendApiError(…)` in handlers. */
export function sendApiError(
  reply: FastifyReply,
  statusCode: number,
  code: string,
  message: string,
  issues?: readonly string[],
): FastifyReply {
  return reply.code(statusCode).send(apiError(code, message, issues));
}

/**
 * Sends 400 with `code`, `message` and one readable line per problem of a failed zod parse
 * (`path: message`, see `formatIssues`); returns the reply, for `return sendInvalid(…)`.
 */
export function sendInvalid(
  reply: FastifyReply,
  code: string,
  message: string,
  error: { readonly issues: readonly z.core.$ZodIssue[] },
): FastifyReply {
  return sendApiError(reply, 400, code, message, formatIssues(error.issues));
}

/** `code` of client errors (4xx) that reach the error handler, by status. */
const CLIENT_ERROR_CODES: Readonly<Record<number, string>> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  406: 'not_acceptable',
  408: 'request_timeout',
  409: 'conflict',
  411: 'length_required',
  412: 'precondition_failed',
  413: 'payload_too_large',
  414: 'uri_too_long',
  415: 'unsupported_media_type',
  416: 'range_not_satisfiable',
  429: 'too_many_requests',
};

const INVALID_JSON_CODES = new Set([
  'FST_ERR_CTP_INVALID_JSON_BODY',
  'FST_ERR_CTP_EMPTY_JSON_BODY',
  JSON_TOO_DEEP,
]);

/**
 * Installs on `app` (and so on every plugin registered in it afterwards, unless one sets its own):
 * - an error handler answering {@link ApiErrorBody} JSON:
 *   - a thrown `ZodError` (e.g. from `schema.parse(request.params)`) or a Fastify schema
 *     validation failure: 400 `invalid_request`, with `issues` for zod;
 *   - a malformed, empty or too deeply nested JSON body: 400 `invalid_json`;
 *   - any other error carrying a 4xx `statusCode` (body too large, unsupported media type,
 *     unsatisfiable range…): that status, a code from the status (`payload_too_large`…), the
 *     error's message and its `headers` (e.g. `Content-Range` on 416); client errors are logged
 *     at `info` without a stack (they are the client's doing);
 *   - anything else: 500 `internal_error` with a generic message and the request id; the
 *     error and its stack are logged (with the request id), never sent;
 * - a not-found handler answering 404 `not_found` JSON for unknown routes.
 */
export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: unknown, request, reply) => {
    if (error instanceof z.ZodError) {
      request.log.info({ issues: error.issues }, 'invalid request');
      return sendApiError(
        reply,
        400,
        'invalid_request',
        'The request is invalid',
        formatIssues(error.issues),
      );
    }
    const statusCode = numberProperty(error, 'statusCode');
    const code = stringProperty(error, 'code');
    const message = stringProperty(error, 'message') ?? 'Bad request';
    if (statusCode !== undefined && statusCode >= 400 && statusCode < 500) {
      request.log.info({ statusCode, code }, `client error: ${message}`);
      const headers = objectProperty(error, 'headers');
      if (headers !== undefined) {
        for (const [name, value] of Object.entries(headers)) {
          if (typeof value === 'string' || typeof value === 'number') reply.header(name, value);
        }
      }
      if (hasProperty(error, 'validation')) {
        return sendApiError(reply, 400, 'invalid_request', message);
      }
      if (code !== undefined && INVALID_JSON_CODES.has(code)) {
        return sendApiError(reply, 400, 'invalid_json', message);
      }
      return sendApiError(reply, statusCode, CLIENT_ERROR_CODES[statusCode] ?? 'bad_request', message);
    }
    request.log.error({ err: error }, 'unhandled error');
    return reply.code(500).send({
      error: { code: 'internal_error', message: 'Internal server error', requestId: request.id },
    } satisfies ApiErrorBody);
  });

  app.setNotFoundHandler((request, reply) => {
    const pathname = request.url.split('?', 1)[0] ?? request.url;
    return sendApiError(reply, 404, 'not_found', `No route ${request.method} ${pathname}`);
  });
}

function hasProperty(value: unknown, key: string): boolean {
  return typeof value === 'object' && value !== null && key in value;
}

function numberProperty(value: unknown, key: string): number | undefined {
  if (!hasProperty(value, key)) return undefined;
  const property: unknown = (value as Record<string, unknown>)[key];
  return typeof property === 'number' && Number.isInteger(property) ? property : undefined;
}

function stringProperty(value: unknown, key: string): string | undefined {
  if (!hasProperty(value, key)) return undefined;
  const property: unknown = (value as Record<string, unknown>)[key];
  return typeof property === 'string' ? property : undefined;
}

function objectProperty(value: unknown, key: string): Record<string, unknown> | undefined {
  if (!hasProperty(value, key)) return undefined;
  const property: unknown = (value as Record<string, unknown>)[key];
  return typeof property === 'object' && property !== null
    ? (property as Record<string, unknown>)
    : undefined;
}
