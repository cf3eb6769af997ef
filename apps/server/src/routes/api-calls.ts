/**
 * The calls REST API: list, detail (with events and transcript) and recording download.
 */
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { CallEventRepository } from '../db/call-events.ts';
import { LIVE_CALL_STATUSES, TERMINAL_CALL_STATUSES } from '../db/call-types.ts';
import { type CallRepository, MAX_CALL_PAGE_SIZE } from '../db/calls.ts';
import { RecordingPathError } from '../recordings/paths.ts';
import type { RecordingStore } from '../recordings/store.ts';
import { sendApiError, sendInvalid } from './errors.ts';

/** What {@link apiCallsRoutes} needs. */
export interface ApiCallsDeps {
  readonly calls: CallRepository;
  readonly events: CallEventRepository;
  readonly recordings: RecordingStore;
}

/** An ISO 8601 date (`2026-12-07`, midnight UTC) or date-time with an offset (`…T10:00:00Z`). */
const instantSchema = z
  .union([z.iso.date(), z.iso.datetime({ offset: true })], {
    error: 'Expected an ISO 8601 date or date-time with offset',
  })
  .transform((text) => new Date(text));

/** A phone number as providers give it (E.164, a SIP user…), optionally ending in `*` for a prefix. */
const numberSchema = z
  .string()
  .regex(/^[\w+.@:-]{1,64}\*?$/, 'Expected a phone number, or its beginning followed by *');

/** The query string of `GET /api/calls`; unknown parameters are rejected so that typos surface. */
const listQuerySchema = z
  .strictObject({
    limit: z.coerce.number().int().min(1).max(MAX_CALL_PAGE_SIZE).default(50),
    offset: z.coerce.number().int().min(0).default(0),
    agentId: z.string().min(1).max(64).optional(),
    status: z.enum([...LIVE_CALL_STATUSES, ...TERMINAL_CALL_STATUSES]).optional(),
    direction: z.enum(['inbound', 'outbound']).optional(),
    from: instantSchema.optional(),
    to: instantSchema.optional(),
    number: numberSchema.optional(),
  })
  .refine((q) => q.from === undefined || q.to === undefined || q.from < q.to, {
    path: ['to'],
    message: 'Must be after from',
  });

const idParamsSchema = z.object({ id: z.string() });

/**
 * The calls API, as a Fastify plugin (register it with `app.register(apiCallsRoutes(deps))`).
 * Errors are {@link ApiErrorBody} JSON (see `errors.ts`).
 *
 * - `GET /api/calls?limit&offset&agentId&status&direction&from&to&number`: a page of calls,
 *   newest first, without transcripts: `{ calls: CallSummary[], total, limit, offset }` (`total`
 *   counts every call matching the filters). `limit` 1–500 (default 50), `offset` ≥ 0 (default
 *   0), `status` one of the call statuses, `direction` `inbound` | `outbound`, `from` / `to` ISO
 *   8601 dates or date-times with offset bounding the call's creation (`from` inclusive, `to`
 *   exclusive, `from` before `to`), `number` the caller's or callee's number exactly, or its
 *   beginning with a trailing `*` (`+1555*`). Invalid or unknown parameters: 400 `invalid_query`
 *   with `issues`.
 * - `GET /api/calls/:id`: the call with its `transcript` and `events` (ordered by `seq`);
 *   404 `call_not_found` for an unknown or non-UUID id.
 * - `GET /api/calls/:id/recording` (and `HEAD`): the WAV file, `audio/wav`, with HTTP range
 *   support (`Accept-Ranges: bytes`; `Range: bytes=a-b` → 206 with `Content-Range`;
 *   unsatisfiable → 416), `ETag`/`Last-Modified` validators and `Cache-Control: private, no-cache`.
 *   404 `call_not_found`, or `recording_not_found` when the call has no recording or its
 *   file is gone; a stored path outside the recordings root is refused as `recording_not_found`
 *   too (and logged as an error).
 *
 * Dates are serialised as ISO 8601 strings.
 */
export function apiCallsRoutes(deps: ApiCallsDeps): FastifyPluginAsync {
  return async (app) => {
    // Only for reply.sendFile (Range, conditional requests, HEAD); serves no route itself.
    await app.register(fastifyStatic, { serve: false });

    app.get('/api/calls', async (request, reply) => {
      const query = listQuerySchema.safeParse(request.query);
      if (!query.success) {
        return sendInvalid(reply, 'invalid_query', 'Invalid query parameters', query.error);
      }
      const page = await deps.calls.list(query.data);
      const { limit, offset } = query.data;
      return { calls: page.calls, total: page.total, limit, offset };
    });

    app.get('/api/calls/:id', async (request, reply) => {
      const { id } = idParamsSchema.parse(request.params);
      const call = await deps.calls.get(id);
      if (call === undefined) return sendApiError(reply, 404, 'call_not_found', `No call ${id}`);
      const events = await deps.events.list(call.id);
      return { ...call, events };
    });

    app.get('/api/calls/:id/recording', async (request, reply) => {
      const { id } = idParamsSchema.parse(request.params);
      const call = await deps.calls.get(id);
      if (call === undefined) return sendApiError(reply, 404, 'call_not_found', `No call ${id}`);
      if (call.recordingPath === null) {
        return sendApiError(reply, 404, 'recording_not_found', `Call ${id} has no recording`);
      }
      let file: Awaited<ReturnType<RecordingStore['stat']>>;
      try {
        file = await deps.recordings.stat(call.recordingPath);
      } catch (error) {
        if (!(error instanceof RecordingPathError)) throw error;
        request.log.error({ err: error, callId: id }, 'stored recording path is outside the recordings root');
        return sendApiError(reply, 404, 'recording_not_found', `Call ${id} has no recording`);
      }
      if (file === undefined) {
        return sendApiError(reply, 404, 'recording_not_found', `The recording of call ${id} is missing`);
      }
      // The file was checked to be inside the root; serving its bare name from its own
      // directory leaves @fastify/send nothing to traverse.
      reply.header('cache-control', 'private, no-cache');
      reply.type('audio/wav');
      return reply.sendFile(path.basename(file.path), path.dirname(file.path), {
        cacheControl: false,
        contentType: false,
        dotfiles: 'deny',
      });
    });
  };
}
