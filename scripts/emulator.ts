/**
 * `npm run emulator`: the Pub/Sub emulator and relais's topology, alone, in
 * the foreground, for functions started separately (`npm run function`).
 * The push subscriptions point at the functions' configured ports, with the
 * push token kept in DATA_DIR/.push-token, where the functions read it.
 * Ctrl-C or SIGTERM stops the emulator's whole process group.
 */
import { topologyNames } from '../emulator/topology.js';
import { loadConfig } from '../functions/core/config.js';
import { survivePlainStreamErrors } from '../functions/core/log.js';
import { resolvePushToken } from '../functions/core/push-token.js';
import { runMain, UsageError } from './lib/args.js';
import {
  assertDistinctPorts,
  assertPortsFree,
  emulatorAddress,
  functionUrl,
  lastWords,
  onShutdownSignal,
  PORT_VARIABLE,
  seconds,
  startLocalPubSub,
} from './lib/local-run.js';

const USAGE = `usage: npm run emulator

Starts the Pub/Sub emulator on PUBSUB_EMULATOR_HOST (default 127.0.0.1:8085)
and creates the topic TOPIC, its dead-letter topic and the archive and notify
push subscriptions (to ARCHIVE_PORT and NOTIFY_PORT). Ctrl-C stops it.`;

async function main(): Promise<void> {
  if (process.argv.length > 2) {
    throw new UsageError(`unexpected argument: ${process.argv[2]}`);
  }
  const began = performance.now();
  // Its terminal output failing (a full disk under `> file`) must not
  // bring down what it runs.
  survivePlainStreamErrors();
  const config = loadConfig();
  const address = emulatorAddress(config);
  // The functions' ports are theirs to take, but it pushes to them.
  assertDistinctPorts([
    address,
    ...(['archive', 'notify'] as const).map((name) => ({
      host: config.host,
      port: config.ports[name],
      variable: PORT_VARIABLE[name],
    })),
  ]);
  await assertPortsFree([address]);
  const print = (line: string) => console.error(`emulator | ${line}`);
  const pushToken = await resolvePushToken(config);

  let stopping = false;
  let local: Awaited<ReturnType<typeof startLocalPubSub>> | undefined;
  onShutdownSignal(() => {
    stopping = true;
    // Before the emulator is up there is nothing to stop yet: `main`
    // notices `stopping` once the start resolves.
    void local?.emulator.stop().then(
      () => process.exit(0),
      (err: Error) => {
        console.error(`error: ${err.message}`);
        process.exit(1);
      },
    );
  });

  local = await startLocalPubSub(config, pushToken, print);
  const { emulator } = local;
  if (stopping) {
    await emulator.stop();
    return;
  }
  const names = topologyNames(config.topic);
  console.log(
    [
      '',
      `Pub/Sub emulator on ${emulator.host} (project ${config.projectId}),` +
        ` ready in ${seconds(performance.now() - began)}` +
        ` (emulator ${seconds(emulator.startupMs)})`,
      `  topic ${config.topic} -> archive ${functionUrl(config, 'archive')}` +
        `/push, notify ${functionUrl(config, 'notify')}/push`,
      `  dead letters: ${names.deadLetterTopic}` +
        ` (pull: ${names.deadLetterInspect})`,
      '',
      'Start the functions in other terminals:',
      '  npm run function -- ingest   (or archive, notify)',
      'Ctrl-C stops the emulator.',
      '',
    ].join('\n'),
  );

  const exit = await emulator.exited;
  if (!stopping) {
    console.error(
      `error: the emulator exited unexpectedly (${exit.code ?? exit.signal})` +
        lastWords(exit.code, emulator.recentOutput()),
    );
    await emulator.stop().catch(() => undefined);
    process.exitCode = 1;
  }
}

runMain(USAGE, main);
