/**
 * Fastify's JSON body parser, behind a depth check: `JSON.parse` spends hundreds of
 * milliseconds on a megabyte of nested brackets, which the check refuses in microseconds.
 */
import { jsonNestsDeeperThan } from '@parley/telephony';
import type { FastifyInstance } from 'fastify';

/**
 * Deepest nesting of a JSON body we parse: an agent's configuration with tool parameter
 * schemas nests about ten levels.
 */
export const MAX_JSON_BODY_DEPTH = 64;

/** `code` of the error for a body nested too deep (answered 400 `invalid_json`). */
export const JSON_TOO_DEEP = 'PARLEY_JSON_TOO_DEEP';

/**
 * Replaces `app`'s `application/json` parser with Fastify's default one (prototype-poisoning
 * checks included) behind a check that refuses bodies nested deeper than
 * {@link MAX_JSON_BODY_DEPTH} with a 400 error (code {@link JSON_TOO_DEEP}). Body size limits
 * apply as before.
 */
export function installJsonBodyParser(app: FastifyInstance): void {
  const parse = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (jsonNestsDeeperThan(text, MAX_JSON_BODY_DEPTH)) {
      done(
        Object.assign(new Error(`JSON nested more than ${MAX_JSON_BODY_DEPTH} levels`), {
          statusCode: 400,
          code: JSON_TOO_DEEP,
        }),
      );
      return;
    }
    parse(request, text, done);
  });
}
