import type { IncomingMessage } from 'node:http';

/*
 * conda and rattler put an anaconda-style token right after the host (`/t/<token>/conda/…`) and
 * some configs carry it after the mount (`/conda/t/<token>/…`). Both forms are rewritten to the
 * plain `/conda/…` URL before routing, so that routes, metrics labels and the request log never see
 * the token; the token itself is kept beside the raw request for the channel auth check.
 */

const TOKEN_FIRST = /^\/t\/([^/?#]*)(\/conda(?:[/?#].*)?)$/s;
const TOKEN_AFTER_MOUNT = /^\/conda\/t\/([^/?#]*)((?:[/?#].*)?)$/s;

const urlTokens = new WeakMap<IncomingMessage, string>();

/** Fastify `rewriteUrl`: strips one `/t/<token>` pair from a channel URL. */
export function rewriteTokenUrl(request: IncomingMessage): string {
  const url = request.url ?? '/';
  const first = TOKEN_FIRST.exec(url);
  if (first !== null) {
    urlTokens.set(request, first[1] ?? '');
    return first[2] ?? '/conda';
  }
  const afterMount = TOKEN_AFTER_MOUNT.exec(url);
  if (afterMount !== null) {
    urlTokens.set(request, afterMount[1] ?? '');
    return `/conda${afterMount[2] ?? ''}`;
  }
  return url;
}

/** The token the request's URL carried, if it was a token URL. */
export function urlTokenOf(request: IncomingMessage): string | undefined {
  return urlTokens.get(request);
}
