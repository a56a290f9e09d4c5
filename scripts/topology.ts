/**
 * `npm run topology`: applies relais's topology to a Pub/Sub emulator that
 * is already running (started by `firebase emulators:start --only pubsub`,
 * say), so the functions receive pushes: the topic, its dead-letter topic
 * and the archive and notify push subscriptions to ARCHIVE_PORT and
 * NOTIFY_PORT, with the push token of DATA_DIR/.push-token. Idempotent.
 */
import { applyTopology } from '../emulator/apply.js';
import { topology } from '../emulator/topology.js';
import { loadConfig } from '../functions/core/config.js';
import { createPubSub } from '../functions/core/pubsub.js';
import { resolvePushToken } from '../functions/core/push-token.js';
import { runMain, UsageError } from './lib/args.js';
import { emulatorAddress, functionUrl } from './lib/local-run.js';

const USAGE = `usage: npm run topology

Creates or reconciles the topology on the emulator at PUBSUB_EMULATOR_HOST
(default 127.0.0.1:8085), project PUBSUB_PROJECT_ID (default relais-local),
push endpoints on HOST:ARCHIVE_PORT and HOST:NOTIFY_PORT.`;

async function main(): Promise<void> {
  if (process.argv.length > 2) {
    throw new UsageError(`unexpected argument: ${process.argv[2]}`);
  }
  const config = loadConfig();
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
    await applyTopology(pubsub, spec, (line) => console.log(line));
  } finally {
    await pubsub.close();
  }
  console.log(
    `\ntopology applied on ${host}:${port} (project ${config.projectId}); ` +
      'start the functions with npm run function -- archive (and notify)',
  );
}

runMain(USAGE, main);
