import { createHash, timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { problems } from './problem.js';

const digest = (text: string) => createHash('sha256').update(text).digest();

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
  const expected = key === undefined ? undefined : digest(key);
  return async (c, next) => {
    if (expected) {
      const bearer = /^Bearer +(\S+)\s*$/i.exec(
        c.req.header('authorization') ?? '',
      );
      const given = bearer?.[1] ?? c.req.header('x-api-key');
      if (given === undefined || !timingSafeEqual(digest(given), expected)) {
        throw problems.unauthorized(
          `Send the ${realm} API key as a Bearer token or in X-API-Key.`,
          `Bearer realm="${realm}"`,
        );
      }
    }
    await next();
  };
}
