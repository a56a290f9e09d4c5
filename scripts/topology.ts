/**
 * `npm run topology`: applies relais's topology to a Pub/Sub emulator that
 * is already running (started by `firebase emulators:start --only pubsub`,
 * say), so the functions receive pushes. Idempotent. See
 * docs/firebase-emulator.md.
 */
import { loadConfig } from '../functions/core/config.js';
import { runMain, UsageError } from './lib/args.js';
import { applyLocalTopology } from './lib/local-topology.js';

const USAGE = `usage: npm run topology

Creates or reconciles the topology on the emulator at PUBSUB_EMULATOR_HOST
(default 127.0.0.1:8085), project PUBSUB_PROJECT_ID (default relais-local),
push endpoints on HOST:ARCHIVE_PORT and HOST:NOTIFY_PORT.`;

async function main(): Promise<void> {
  if (process.argv.length > 2) {
    throw new UsageError(`unexpected argument: ${process.argv[2]}`);
  }
  const config = loadConfig();
  await applyLocalTopology(config, (line) => console.log(line));
  console.log(
    `\ntopology applied on ${config.emulatorHost} (project ` +
      `${config.projectId}); start the functions with ` +
      'npm run function -- archive (and notify)',
  );
}

runMain(USAGE, main);
