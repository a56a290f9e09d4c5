import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../functions/core/config.js';
import { silentLogger } from '../../functions/core/log.js';
import { buildNotify, openNotify } from '../../functions/notify/index.js';
import { defer } from '../harness/index.js';
import { PUSH_TOKEN, tempDataDir } from './fixtures.js';

describe('notify start-up', () => {
  it('builds from configuration and requires the push token', async () => {
    const dataDir = await tempDataDir();
    const runtime = await buildNotify(
      loadConfig({ DATA_DIR: dataDir, PUSH_TOKEN, LOG_LEVEL: 'silent' }),
    );
    defer(() => runtime.close());

    const health = await runtime.app.request('/healthz');
    const anonymous = await runtime.app.request('/push', { method: 'POST' });

    expect(health.status).toBe(200);
    expect(anonymous.status).toBe(401);
  });

  it('refuses to start on a subscriber store it cannot read', async () => {
    const dataDir = await tempDataDir();
    await writeFile(join(dataDir, 'subscribers.json'), '{"enabled": tru');

    const opening = openNotify({
      config: { dataDir, production: false, callbackTimeoutMs: 1_000 },
      pushToken: PUSH_TOKEN,
      log: silentLogger,
    });

    await expect(opening).rejects.toThrow(/subscribers\.json is not a valid/);
  });
});
