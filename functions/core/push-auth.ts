import type { MiddlewareHandler } from 'hono';
import { secretMatcher } from './api-key.js';
import { type Config, pushAuthOf } from './config.js';
import { googleKeys, type KeySource, verifyPushToken } from './oidc.js';
import { Problem, problems } from './problem.js';
import { resolvePushToken } from './push-token.js';

const REALM = 'Bearer realm="pubsub-push"';

/**
 * Refuses a push whose `token` query parameter is not the local push token
 * (401). The emulator cannot send an OIDC token, so the subscription's
 * endpoint URL carries this secret instead.
 */
export function requirePushToken(token: string): MiddlewareHandler {
  const matches = secretMatcher(token);
  return async (c, next) => {
    const given = c.req.query('token');
    if (given === undefined || !matches(given)) {
      throw problems.unauthorized(
        'This push endpoint needs the token of its subscription.',
        REALM,
      );
    }
    await next();
  };
}

/** How a push endpoint checks its caller, with what it needs to do it. */
export type PushAuth =
  | { mode: 'token'; token: string }
  | {
      mode: 'oidc';
      audience: string;
      serviceAccount: string;
      /** Google's keys when absent; tests pass a local JWKS. */
      keys?: KeySource;
      now?: () => Date;
    };

/**
 * An app's push authentication from its deps: `pushAuth`, or the older
 * `pushToken` shorthand for the token mode.
 */
export function pushAuthOrToken(deps: {
  pushAuth?: PushAuth | undefined;
  pushToken?: string | undefined;
}): PushAuth {
  if (deps.pushAuth) return deps.pushAuth;
  if (deps.pushToken) return { mode: 'token', token: deps.pushToken };
  throw new TypeError('pushAuth or pushToken is required');
}

/**
 * The push authentication configured for a receiver: the local token (read
 * or created in DATA_DIR) or OIDC with Google's remote keys. Throws the
 * `ConfigError` of `pushAuthOf` on Cloud Run without `PUSH_AUTH`.
 */
export async function resolvePushAuth(
  config: Pick<Config, 'pushAuth' | 'pushToken' | 'dataDir'>,
): Promise<PushAuth> {
  const auth = pushAuthOf(config);
  if (auth.mode === 'token') {
    return { mode: 'token', token: await resolvePushToken(config) };
  }
  return { ...auth, keys: googleKeys() };
}

/**
 * Authenticates a push before its body is read. Token mode: see
 * `requirePushToken`. OIDC mode: the `Authorization: Bearer` token Pub/Sub
 * signs for the subscription's service account (`pushConfig.oidcToken`),
 * verified by `verifyPushToken`; 401 with `WWW-Authenticate` when it is
 * missing or invalid, 403 when it is valid for another identity, 503 when
 * Google's keys cannot be fetched.
 * https://cloud.google.com/pubsub/docs/authenticate-push-subscriptions
 */
export function requirePushAuth(auth: PushAuth): MiddlewareHandler {
  if (auth.mode === 'token') return requirePushToken(auth.token);
  const policy = { ...auth, keys: auth.keys ?? googleKeys() };
  return async (c, next) => {
    const header = c.req.header('authorization') ?? '';
    const match = /^Bearer +([^\s]+)\s*$/i.exec(header);
    if (!match?.[1]) {
      throw problems.unauthorized(
        'This push endpoint needs the OIDC token Pub/Sub signs.',
        REALM,
      );
    }
    const verdict = await verifyPushToken(match[1], policy);
    if (verdict.kind === 'invalid') {
      throw problems.unauthorized(
        `The push token is refused: ${verdict.reason}.`,
        `${REALM}, error="invalid_token", ` +
          `error_description="${verdict.reason}"`,
      );
    }
    if (verdict.kind === 'forbidden') {
      throw new Problem(
        403,
        'forbidden',
        'Forbidden',
        `The push token is refused: ${verdict.reason}.`,
      );
    }
    if (verdict.kind === 'unavailable') {
      throw problems.unavailable(
        `The push token cannot be checked now: ${verdict.reason}.`,
        10,
      );
    }
    await next();
  };
}
