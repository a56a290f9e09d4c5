import { createHash, timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { problems } from './problem.js';

/** The SHA-256 of a secret: what is compared, in constant time. */
export const secretDigest = (text: string): Buffer =>
  createHash('sha256').update(text).digest();

/**
 * A test of whether a given string is `expected`, in time that reveals
 * neither where they differ nor the expected length: their digests are
 * compared. The expected digest is computed once, not per request.
 */
export function secretMatcher(expected: string): (given: string) => boolean {
  const digest = secretDigest(expected);
  return (given) => timingSafeEqual(secretDigest(given), digest);
}

/** The keys a request presents: `Authorization: Bearer` and `X-API-Key`. */
export function presentedApiKeys(headers: Headers): string[] {
  const keys: string[] = [];
  const bearer = /^Bearer +(\S+) *$/i.exec(headers.get('authorization') ?? '');
  if (bearer?.[1]) keys.push(bearer[1]);
  const header = headers.get('x-api-key');
  if (header !== null) keys.push(header.trim());
  return keys;
}

/**
 * Requires `key` in `Authorization: Bearer <key>` or `X-API-Key: <key>`;
 * otherwise 401 with `WWW-Authenticate` naming `realm` (the function).
 * Both sides are hashed before the constant-time comparison, so neither
 * the key nor its length leaks through timing. With no key configured,
 * every request passes.
 */
export function requireApiKey(
  key: string | undefined,
  realm: string,
): MiddlewareHandler {
  const matches = key === undefined ? undefined : secretMatcher(key);
  return async (c, next) => {
    if (matches) {
      const given = presentedApiKeys(c.req.raw.headers);
      if (!given.some(matches)) {
        throw problems.unauthorized(
          `Send the ${realm} API key as a Bearer token or in X-API-Key.`,
          `Bearer realm="${realm}"`,
        );
      }
    }
    await next();
  };
}
