import { createHmac } from 'node:crypto';
import { SignatureError } from '../errors.ts';
import { constantTimeEqual, singleHeaderValue } from '../request-auth.ts';

/** Request headers as Node and Fastify give them: lower-case names. */
export type RequestHeaders = Readonly<Record<string, string | readonly string[] | undefined>>;

/** A Vobiz callback request to check against its `X-Vobiz-Signature-V3`/`-V2` headers. */
export interface VobizSignatureCheck {
  /** The account's auth token (the HMAC key). */
  readonly authToken: string;
  /**
   * The URL Vobiz requested (e.g. the `answer_url`), scheme, host, port and path as Vobiz
   * called them; a query string is allowed and ignored (Vobiz signs the URL without it). Behind
   * a proxy build it with `publicRequestUrl`, never from the `Host` header.
   */
  readonly url: string;
  /** The request's headers, lower-case names (Node's `request.headers`). */
  readonly headers: RequestHeaders;
}

/**
 * Whether a Vobiz callback (answer, hangup, stream status…) carries a valid signature:
 *
 * - `X-Vobiz-Signature-V3` = `base64(HMAC-SHA256(authToken, baseURL + "." + nonce))`, nonce in
 *   `X-Vobiz-Signature-V3-Nonce`;
 * - `X-Vobiz-Signature-V2` = `base64(HMAC-SHA256(authToken, baseURL + nonce))`, nonce in
 *   `X-Vobiz-Signature-V2-Nonce`;
 *
 * where `baseURL` is the URL with its query string stripped; POST parameters are not signed
 * (unlike Plivo's V3). The request is valid when either signature present is valid (Vobiz
 * sends both; each is the same HMAC under the same token). Compared in constant time. The
 * legacy HMAC-SHA1 `X-Vobiz-Signature` is not accepted; the `-MA-` variants (signed with a
 * parent account's token for sub-accounts) are not checked.
 *
 * Sources: https://docs.vobiz.ai/concepts/validating-callbacks,
 * https://docs.vobiz.ai/compare/plivo/webhooks.
 *
 * @returns `true` when valid; `false` when no signature with its nonce is present or none
 *   matches.
 * @throws TypeError when `authToken` is empty (with an empty key anyone could sign requests).
 */
export function validateVobizSignature(check: VobizSignatureCheck): boolean {
  const { authToken, headers } = check;
  if (authToken === '') throw new TypeError('Vobiz auth token is empty: cannot validate signatures');
  const baseUrl = check.url.replace(/[?#].*$/s, '');
  const v3 = signatureHeaders(headers, 'v3');
  const v2 = signatureHeaders(headers, 'v2');
  // Both are computed whenever present (no early exit), so timing shows only which headers came.
  const v3Valid =
    v3 !== undefined && constantTimeEqual(v3.signature, sign(authToken, `${baseUrl}.${v3.nonce}`));
  const v2Valid =
    v2 !== undefined && constantTimeEqual(v2.signature, sign(authToken, `${baseUrl}${v2.nonce}`));
  return v3Valid || v2Valid;
}

/**
 * Like {@link validateVobizSignature}, but throws on failure, for a request hook that answers
 * 403.
 *
 * @throws {@link SignatureError} with `reason` `missing` (no V3 or V2 signature with its
 *   nonce) or `mismatch`.
 * @throws TypeError when `authToken` is empty.
 */
export function assertVobizSignature(check: VobizSignatureCheck): void {
  if (validateVobizSignature(check)) return;
  const missing =
    signatureHeaders(check.headers, 'v3') === undefined &&
    signatureHeaders(check.headers, 'v2') === undefined;
  throw new SignatureError('vobiz', missing ? 'missing' : 'mismatch', check.url);
}

function sign(authToken: string, message: string): string {
  return createHmac('sha256', authToken).update(message, 'utf8').digest('base64');
}

/** A version's signature and nonce headers, when both are present (single, non-empty). */
function signatureHeaders(
  headers: RequestHeaders,
  version: 'v2' | 'v3',
): { signature: string; nonce: string } | undefined {
  const signature = singleHeaderValue(header(headers, `x-vobiz-signature-${version}`));
  const nonce = singleHeaderValue(header(headers, `x-vobiz-signature-${version}-nonce`));
  return signature === undefined || nonce === undefined ? undefined : { signature, nonce };
}

/** A header by lower-case name; other casings are found too (for hand-built header objects). */
function header(headers: RequestHeaders, name: string): string | readonly string[] | undefined {
  if (name in headers) return headers[name];
  for (const key of Object.keys(headers)) if (key.toLowerCase() === name) return headers[key];
  return undefined;
}
