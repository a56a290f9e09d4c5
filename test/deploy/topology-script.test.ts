import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../functions/core/config.js';
import { createPubSub } from '../../functions/core/pubsub.js';
import { applyLocalTopology } from '../../scripts/lib/local-topology.js';
import { tempDataDir } from '../archive/fixtures.js';
import { defer, emulatorHost } from '../harness/index.js';

describe('npm run topology', () => {
  it('applies the topology to a running emulator, twice without change', async () => {
    const project = `relais-topo-${randomBytes(3).toString('hex')}`;
    const config = loadConfig({
      PUBSUB_EMULATOR_HOST: emulatorHost(),
      PUBSUB_PROJECT_ID: project,
      DATA_DIR: await tempDataDir(),
      ARCHIVE_PORT: '18081',
    });
    const lines: string[] = [];

    const first = await applyLocalTopology(config, (l) => lines.push(l));
    const second = await applyLocalTopology(config, (l) => lines.push(l));

    expect(first.map((a) => a.action)).toEqual(Array(5).fill('created'));
    expect(second.map((a) => a.action)).toEqual(Array(5).fill('unchanged'));
    expect(lines.join('\n')).not.toMatch(/token=(?!\[redacted\])/);
    const pubsub = createPubSub(config);
    defer(() => pubsub.close());
    const [archive] = await pubsub.subscription('archive').getMetadata();
    expect(archive.pushConfig?.pushEndpoint).toMatch(
      /^http:\/\/127\.0\.0\.1:18081\/push\?token=/,
    );
  });

  it('says what to start when no emulator answers', async () => {
    const config = loadConfig({
      PUBSUB_EMULATOR_HOST: '127.0.0.1:9',
      DATA_DIR: await tempDataDir(),
    });

    await expect(applyLocalTopology(config, () => undefined)).rejects.toThrow(
      'no Pub/Sub emulator answers on 127.0.0.1:9',
    );
  });
});
