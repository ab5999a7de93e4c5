/*
 * What makes a URL safe to log. Tokens reach us in more places than the anaconda form
 * `/t/<token>/`: a different case (`/T/…`), a `token` segment, query parameters (`?token=`,
 * `?access_token=`, presigned `X-Amz-Signature=`), or userinfo (`https://user:secret@host`).
 * Every one of them is replaced, so no log line, report or error message carries the secret.
 */

/** A path segment that introduces a token, and the one after it. Case-insensitive: `/T/…` too. */
const TOKEN_SEGMENT = /\/(t|tokens?)\/[^/?#]+(?=[/?#]|$)/gi;
/** Query parameters whose names say they carry a credential. */
const SECRET_QUERY =
  /([?&;](?:[^=&#;]*?(?:token|secret|passw(?:or)?d|api[_-]?key|apikey|auth|signature|credential|session|sig|key))=)[^&#;]*/gi;
/** `scheme://user:password@` and `scheme://token@`. */
const USERINFO = /^([A-Za-z][A-Za-z0-9+.-]*:\/\/)[^/@?#]+@/;

const REDACTED = '<redacted>';

/** A URL (or a URL path, e.g. a request line) with every token-carrying segment and value replaced. */
export function redactUrl(url: string): string {
  return url
    .replace(USERINFO, `$1${REDACTED}@`)
    .replace(TOKEN_SEGMENT, (_match, marker: string) => `/${marker}/${REDACTED}`)
    .replace(SECRET_QUERY, `$1${REDACTED}`);
}
