/**
 * Errors of the credential store: a credential cannot be used, written or read as asked.
 */

/** Why using or writing a credential was refused; each maps to an HTTP status on the API. */
export type CredentialRefusal =
  /** No credential has this name (404 on its own routes, 400 where something refers to it). */
  | 'credential_not_found'
  /** A credential with this name exists already (409). */
  | 'credential_exists'
  /** The credential is of another kind than its user needs (400). */
  | 'credential_kind_mismatch'
  /** The credential is bound to another destination: send the secret again to move it (400). */
  | 'secret_required'
  /** Agents or settings still refer to it (409). */
  | 'credential_in_use'
  /** The value does not fit the kind (400). */
  | 'invalid_credential';

/** A credential operation was refused; `code` says why, `message` says what to do. */
export class CredentialError extends Error {
  override readonly name = 'CredentialError';

  constructor(
    readonly code: CredentialRefusal,
    message: string,
    /** Details: the problems of an invalid value, or who uses a credential. */
    readonly issues?: readonly string[],
  ) {
    super(message);
  }
}

/**
 * A stored credential cannot be decrypted: the configured key is not the one that sealed it
 * (`cause` is a `SecretKeyError`), or the row was altered (`cause` is a `SecretTamperedError`).
 */
export class CredentialUnreadableError extends Error {
  override readonly name = 'CredentialUnreadableError';

  constructor(
    /** The credential's name. */
    readonly credential: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
