import { describe, expect, it } from 'vitest';
import { freePort } from '../../emulator/ports.js';
import { buildArchive } from '../../functions/archive/index.js';
import { ConfigError, loadConfig } from '../../functions/core/config.js';
import { buildNotify } from '../../functions/notify/index.js';
import { spawnTracked } from '../harness/index.js';

const CLOUD_RUN = { K_SERVICE: 'archive', PUBSUB_PROJECT_ID: 'relais-test' };
const OIDC = {
  PUSH_AUTH: 'oidc',
  PUSH_AUDIENCE: 'https://archive-test.a.run.app',
  PUSH_SERVICE_ACCOUNT: 'relais-push@relais-test.iam.gserviceaccount.com',
};

describe('push authentication settings', () => {
  it('defaults to the token mode locally', () => {
    expect(loadConfig({}).pushAuth).toEqual({ mode: 'token' });
  });

  it('reads the OIDC mode with its audience and service account', () => {
    expect(loadConfig({ ...CLOUD_RUN, ...OIDC }).pushAuth).toEqual({
      mode: 'oidc',
      audience: OIDC.PUSH_AUDIENCE,
      serviceAccount: OIDC.PUSH_SERVICE_ACCOUNT,
    });
  });

  it.each(['PUSH_AUDIENCE', 'PUSH_SERVICE_ACCOUNT'])(
    'stops when PUSH_AUTH=oidc lacks %s, naming it',
    (name) => {
      const env = { ...OIDC, [name]: undefined };
      expect(() => loadConfig(env)).toThrow(ConfigError);
      expect(() => loadConfig(env)).toThrow(name);
    },
  );

  it.each([
    ['PUSH_AUTH', 'none'],
    ['PUSH_SERVICE_ACCOUNT', 'not-an-email'],
    ['ALLOW_PUSH_TOKEN_IN_PRODUCTION', 'yes'],
    ['ARCHIVE_STORE', 'bucket'],
    ['FIRESTORE_COLLECTION', 'a/b'],
    ['FIRESTORE_EMULATOR_HOST', 'http://127.0.0.1:8080'],
  ])('stops on a bad %s, naming it', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(name);
  });

  it('refuses to load on Cloud Run for a push receiver without PUSH_AUTH', () => {
    const env = { ...CLOUD_RUN, FUNCTION_TARGET: 'archive' };
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(/PUSH_AUTH: required on Cloud Run/);
  });

  it('loads on Cloud Run for ingest, which receives no pushes', () => {
    const config = loadConfig({ ...CLOUD_RUN, FUNCTION_TARGET: 'ingest' });
    expect(config.pushAuth).toBeUndefined();
  });

  it('refuses the token mode on Cloud Run without the explicit opt-in', () => {
    const env = { ...CLOUD_RUN, PUSH_AUTH: 'token' };
    expect(() => loadConfig(env)).toThrow(/ALLOW_PUSH_TOKEN_IN_PRODUCTION/);
    expect(
      loadConfig({ ...env, ALLOW_PUSH_TOKEN_IN_PRODUCTION: 'true' }).pushAuth,
    ).toEqual({ mode: 'token' });
  });

  it.each([
    ['archive', buildArchive],
    ['notify', buildNotify],
  ] as const)(
    '%s refuses to start on Cloud Run without PUSH_AUTH',
    async (_, build) => {
      const config = loadConfig({ ...CLOUD_RUN, LOG_LEVEL: 'silent' });

      await expect(build(config)).rejects.toThrow(/PUSH_AUTH/);
    },
  );

  it('the functions-framework entry exits at load, naming PUSH_AUTH', async () => {
    const port = await freePort();
    const child = spawnTracked(
      'node_modules/.bin/functions-framework',
      ['--target=archive', '--source=functions/index.ts', `--port=${port}`],
      {
        env: {
          PATH: process.env.PATH,
          NODE_OPTIONS: '--import tsx',
          ...CLOUD_RUN,
          FUNCTION_TARGET: 'archive',
        },
      },
    );

    const exit = await child.exited;

    expect(exit.code).not.toBe(0);
    expect(child.output()).toMatch(/PUSH_AUTH: required on Cloud Run/);
  });
});
