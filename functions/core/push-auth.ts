import { timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { problems } from './problem.js';

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Refuses a push whose `token` query parameter is not the local push token
 * (401). The emulator cannot send an OIDC token, so the subscription's
 * endpoint URL carries this secret instead.
 */
export function requirePushToken(token: string): MiddlewareHandler {
  return async (c, next) => {
    const given = c.req.query('token');
    if (given === undefined || !sameSecret(given, token)) {
      throw problems.unauthorized(
        'This push endpoint needs the token of its subscription.',
        'Bearer realm="pubsub-push"',
      );
    }
    await next();
  };
}
