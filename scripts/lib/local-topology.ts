import { type AppliedAction, applyTopology } from '../../emulator/apply.js';
import { topology } from '../../emulator/topology.js';
import type { Config } from '../../functions/core/config.js';
import { createPubSub } from '../../functions/core/pubsub.js';
import { resolvePushToken } from '../../functions/core/push-token.js';
import { emulatorAddress, functionUrl } from './local-run.js';

/**
 * Applies relais's emulator topology to the emulator that already runs at
 * `PUBSUB_EMULATOR_HOST` (started by `npm run emulator` or by firebase
 * emulators:start), push subscriptions to the functions' configured ports
 * with the push token of DATA_DIR. Fails at once when nothing answers.
 */
export async function applyLocalTopology(
  config: Readonly<Config>,
  log: (line: string) => void,
): Promise<AppliedAction[]> {
  const { host, port } = emulatorAddress(config);
  const alive = await fetch(`http://${host}:${port}/`, {
    signal: AbortSignal.timeout(2_000),
  }).then(
    (res) => res.ok,
    () => false,
  );
  if (!alive) {
    throw new Error(
      `no Pub/Sub emulator answers on ${host}:${port}: start one ` +
        '(npm run emulator, or firebase emulators:start --only pubsub) ' +
        'or set PUBSUB_EMULATOR_HOST',
    );
  }
  const spec = topology({
    topic: config.topic,
    pushBase: {
      archive: functionUrl(config, 'archive'),
      notify: functionUrl(config, 'notify'),
    },
    pushToken: await resolvePushToken(config),
    target: 'emulator',
  });
  const pubsub = createPubSub(config);
  try {
    return await applyTopology(pubsub, spec, log);
  } finally {
    await pubsub.close();
  }
}
