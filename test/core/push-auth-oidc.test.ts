import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { createArchiveApp } from '../../functions/archive/app.js';
import { openFileStore } from '../../functions/archive/file-store.js';
import { silentLogger } from '../../functions/core/log.js';
import { toEvent } from '../../functions/core/personnage.js';
import type { PushAuth } from '../../functions/core/push-auth.js';
import { openNotify } from '../../functions/notify/index.js';
import { pushBody, tempDataDir } from '../archive/fixtures.js';
import { defer } from '../harness/index.js';
import {
  AUDIENCE,
  PUSH_SA,
  type TestKeys,
  testKeys,
  unsignedToken,
} from './oidc-fixtures.js';

let keys: TestKeys;
beforeAll(async () => {
  keys = await testKeys();
});

function oidc(overrides: Partial<PushAuth> = {}): PushAuth {
  return {
    mode: 'oidc',
    audience: AUDIENCE,
    serviceAccount: PUSH_SA,
    keys: keys.keys,
    ...overrides,
  } as PushAuth;
}

type Fetcher = { request: (path: string, init: RequestInit) => unknown };

const apps: [string, (auth: PushAuth) => Promise<Fetcher>][] = [
  [
    'archive',
    async (pushAuth) => {
      const store = await openFileStore({
        dir: await tempDataDir(),
        log: silentLogger,
      });
      defer(() => store.close());
      return createArchiveApp({ store, log: silentLogger, pushAuth });
    },
  ],
  [
    'notify',
    async (pushAuth) => {
      const runtime = await openNotify({
        config: {
          dataDir: await tempDataDir(),
          production: false,
          callbackTimeoutMs: 1_000,
        },
        pushAuth,
        log: silentLogger,
      });
      defer(() => runtime.close());
      return runtime.app;
    },
  ],
];

function push(app: Fetcher, authorization?: string): Promise<Response> {
  const event = toEvent({ nom: 'Goku', score: 95 }, randomUUID(), new Date());
  const headers: Record<string, string> = {
    'content-type': 'application/json',
  };
  if (authorization !== undefined) headers.authorization = authorization;
  return Promise.resolve(
    app.request('/push', {
      method: 'POST',
      headers,
      body: pushBody(event, randomUUID(), { eventId: event.id }),
    }) as Response | Promise<Response>,
  );
}

const hour = 3600;
const now = () => Math.floor(Date.now() / 1000);

/** [behaviour, Authorization header, status, WWW-Authenticate error]. */
const cases: [string, () => Promise<string | undefined>, number, string?][] = [
  ['acks a valid token', async () => `Bearer ${await keys.sign()}`, 204],
  [
    'acks the issuer spelled without https',
    async () => `Bearer ${await keys.sign({ iss: 'accounts.google.com' })}`,
    204,
  ],
  ['refuses a push without Authorization', async () => undefined, 401, ''],
  [
    'refuses a scheme other than Bearer',
    async () => `Basic ${await keys.sign()}`,
    401,
    '',
  ],
  [
    'refuses an expired token',
    async () =>
      `Bearer ${await keys.sign({ iat: now() - 2 * hour, exp: now() - hour })}`,
    401,
    'invalid_token',
  ],
  [
    'refuses a token for another audience',
    async () =>
      `Bearer ${await keys.sign({ aud: 'https://notify-test.a.run.app' })}`,
    401,
    'invalid_token',
  ],
  [
    'refuses a token from another issuer',
    async () =>
      `Bearer ${await keys.sign({ iss: 'https://evil.example.com' })}`,
    401,
    'invalid_token',
  ],
  [
    'refuses a token whose email is not verified',
    async () => `Bearer ${await keys.sign({ email_verified: false })}`,
    401,
    'invalid_token',
  ],
  [
    'refuses an unsigned token (alg none)',
    async () => `Bearer ${unsignedToken()}`,
    401,
    'invalid_token',
  ],
  [
    'refuses a token signed by another key',
    async () => `Bearer ${await keys.sign({}, { forged: true })}`,
    401,
    'invalid_token',
  ],
  [
    'refuses a token that is not a JWT',
    async () => 'Bearer not.a.token',
    401,
    'invalid_token',
  ],
  [
    'forbids a valid token for another service account',
    async () =>
      `Bearer ${await keys.sign({ email: 'someone@relais-test.iam.gserviceaccount.com' })}`,
    403,
  ],
];

describe.each(apps)('%s push endpoint with PUSH_AUTH=oidc', (_, build) => {
  it.each(cases)('%s', async (_, header, status, error) => {
    const app = await build(oidc());

    const res = await push(app, await header());

    expect(res.status).toBe(status);
    if (error !== undefined) {
      const challenge = res.headers.get('www-authenticate') ?? '';
      expect(challenge).toMatch(/^Bearer realm="pubsub-push"/);
      if (error) expect(challenge).toContain(`error="${error}"`);
      expect(res.headers.get('content-type')).toBe('application/problem+json');
    }
  });

  it('answers 503 when Google keys cannot be fetched', async () => {
    const app = await build(
      oidc({
        keys: async () => {
          throw new TypeError('fetch failed');
        },
      }),
    );

    const res = await push(app, `Bearer ${await keys.sign()}`);

    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('10');
  });

  it('ignores the query-string token in OIDC mode', async () => {
    const app = await build(oidc());

    const res = await Promise.resolve(
      app.request('/push?token=anything-at-all-0123', {
        method: 'POST',
      }) as Response,
    );

    expect(res.status).toBe(401);
  });
});
