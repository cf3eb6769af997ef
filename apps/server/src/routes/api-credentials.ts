/**
 * The credentials REST API: named secrets that agents and telephony settings refer to. Values
 * go in, never out.
 */
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { z } from 'zod';
import { CredentialError } from '../credentials/errors.ts';
import {
  CREDENTIAL_KINDS,
  type CredentialKind,
  credentialNameSchema,
  defaultDestination,
  SECRET_FIELDS,
} from '../credentials/kinds.ts';
import type { CredentialInfo, CredentialStore } from '../credentials/store.ts';
import { sendApiError, sendInvalid } from './errors.ts';

/** What {@link apiCredentialsRoutes} needs. */
export interface ApiCredentialsDeps {
  readonly credentials: CredentialStore;
  /** `OPENAI_BASE_URL`: the default destination of `openai` credentials (else OpenAI's API). */
  readonly openaiBaseUrl: string | undefined;
}

/** A credential as the API shows it: no value. */
export interface PublicCredential {
  readonly id: string;
  readonly name: string;
  readonly kind: CredentialKind;
  /** The origin the secret may be sent to. */
  readonly destination: string;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  /** Who refers to it, e.g. `agent demo`, `telephony settings (twilio)`. */
  readonly usedBy: readonly string[];
}

/** A secret: a string (the kind's one field: `apiKey`, `authToken`, `apiToken`; `value` for `generic`) or the kind's object. */
const valueSchema = z.union([z.string().min(1), z.record(z.string(), z.unknown())]);
const destinationSchema = z.url({ protocol: /^https?$/ }).max(500);

const createBodySchema = z.strictObject({
  name: credentialNameSchema,
  kind: z.enum(CREDENTIAL_KINDS),
  value: valueSchema,
  /** Any URL of where the secret will be sent (its origin is kept); default: the kind's vendor API. */
  destination: destinationSchema.optional(),
});

const replaceBodySchema = z.strictObject({
  value: valueSchema,
  /** Default: the current destination. */
  destination: destinationSchema.optional(),
});

const nameParamsSchema = z.object({ name: z.string() });

/**
 * The credentials API, as a Fastify plugin. Errors are `ApiErrorBody` JSON (see `errors.ts`).
 *
 * - `GET /api/credentials`: `{ credentials: PublicCredential[] }` by name.
 * - `GET /api/credentials/:name`: one; 404 `credential_not_found`.
 * - `POST /api/credentials` with `{ name, kind, value, destination? }`: 201 and the credential;
 *   409 `credential_exists`; 400 `invalid_body` / `invalid_credential` with `issues`.
 * - `PUT /api/credentials/:name` with `{ value, destination? }`: replaces the value (the kind
 *   stays) and, when given, the destination; moving a secret elsewhere always takes its value.
 *   404 `credential_not_found`.
 * - `DELETE /api/credentials/:name`: 204; 409 `credential_in_use` with the users as `issues`.
 */
export function apiCredentialsRoutes(deps: ApiCredentialsDeps): FastifyPluginAsync {
  return async (app) => {
    const publicForm = async (info: CredentialInfo): Promise<PublicCredential> =>
      toPublic(info, await deps.credentials.usages(info.name));

    app.get('/api/credentials', async () => {
      const [credentials, usages] = await Promise.all([
        deps.credentials.list(),
        deps.credentials.allUsages(),
      ]);
      return { credentials: credentials.map((info) => toPublic(info, usages.get(info.name) ?? [])) };
    });

    app.get('/api/credentials/:name', async (request, reply) => {
      const { name } = nameParamsSchema.parse(request.params);
      const info = await deps.credentials.info(name);
      if (!info) return sendApiError(reply, 404, 'credential_not_found', `No credential is named "${name}"`);
      return publicForm(info);
    });

    app.post('/api/credentials', async (request, reply) => {
      const body = createBodySchema.safeParse(request.body);
      if (!body.success) return invalidBody(reply, '{ name, kind, value, destination? }', body.error);
      const { name, kind, value } = body.data;
      const destination = body.data.destination ?? defaultDestination(kind, deps.openaiBaseUrl);
      if (destination === undefined) {
        return sendApiError(reply, 400, 'invalid_credential', 'A generic credential needs a destination', [
          'destination: required for kind generic',
        ]);
      }
      try {
        const info = await deps.credentials.create({ name, kind, value: shaped(kind, value), destination });
        request.log.info({ credential: name, kind, destination: info.destination }, 'credential created');
        return reply.code(201).send(await publicForm(info));
      } catch (error) {
        if (error instanceof CredentialError) return sendCredentialError(reply, error, 404);
        throw error;
      }
    });

    app.put('/api/credentials/:name', async (request, reply) => {
      const { name } = nameParamsSchema.parse(request.params);
      const body = replaceBodySchema.safeParse(request.body);
      if (!body.success) return invalidBody(reply, '{ value, destination? }', body.error);
      try {
        const current = await deps.credentials.info(name);
        if (!current) throw new CredentialError('credential_not_found', `No credential is named "${name}"`);
        const info = await deps.credentials.replace(name, {
          value: shaped(current.kind, body.data.value),
          destination: body.data.destination ?? current.destination,
        });
        request.log.info({ credential: name, destination: info.destination }, 'credential replaced');
        return publicForm(info);
      } catch (error) {
        if (error instanceof CredentialError) return sendCredentialError(reply, error, 404);
        throw error;
      }
    });

    app.delete('/api/credentials/:name', async (request, reply) => {
      const { name } = nameParamsSchema.parse(request.params);
      try {
        await deps.credentials.delete(name);
      } catch (error) {
        if (error instanceof CredentialError) return sendCredentialError(reply, error, 404);
        throw error;
      }
      request.log.info({ credential: name }, 'credential deleted');
      return reply.code(204).send();
    });
  };
}

function toPublic(info: CredentialInfo, usedBy: readonly string[]): PublicCredential {
  const { id, name, kind, destination, createdAt, updatedAt } = info;
  return { id, name, kind, destination, createdAt, updatedAt, usedBy };
}

/** A bare string as the object of `kind` (`{ apiKey }`, `{ authToken }`, …; `{ value }` for generic). */
function shaped(kind: CredentialKind, value: string | Record<string, unknown>): unknown {
  if (typeof value !== 'string') return value;
  return { [kind === 'generic' ? 'value' : SECRET_FIELDS[kind]]: value };
}

function invalidBody(reply: FastifyReply, shape: string, error: z.ZodError): FastifyReply {
  return sendInvalid(reply, 'invalid_body', `The body must be ${shape}`, error);
}

const STATUS: Readonly<Record<CredentialError['code'], number>> = {
  credential_not_found: 400,
  credential_exists: 409,
  credential_kind_mismatch: 400,
  secret_required: 400,
  credential_in_use: 409,
  invalid_credential: 400,
};

/**
 * Answers a {@link CredentialError} with its code, message and issues: 409 for a name taken or
 * a credential in use, `notFoundStatus` for a missing credential (404 where it is the resource,
 * 400 where a request refers to it), 400 otherwise.
 */
export function sendCredentialError(
  reply: FastifyReply,
  error: CredentialError,
  notFoundStatus: 400 | 404 = 400,
): FastifyReply {
  const status = error.code === 'credential_not_found' ? notFoundStatus : STATUS[error.code];
  return sendApiError(reply, status, error.code, error.message, error.issues);
}
