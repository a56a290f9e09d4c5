/**
 * `npm start`: the whole of relais on one machine. Starts the Pub/Sub
 * emulator, applies the topology, runs ingest, archive and notify as child
 * processes (`functions/server.ts`), waits until each answers `/healthz`,
 * then prints the URLs and a curl to try.
 *
 * Ctrl-C or SIGTERM stops everything (each function and the emulator by
 * its process group) and exits 0. A function that dies on its own is started
 * again (Pub/Sub redelivers what it missed); one that keeps dying, or the
 * emulator dying (its messages lived in its memory), stops everything and
 * exits 1.
 */

import { z } from 'zod';
import type { EmulatorHandle } from '../emulator/launcher.js';
import { type Config, loadConfig } from '../functions/core/config.js';
import { survivePlainStreamErrors } from '../functions/core/log.js';
import { resolvePushToken } from '../functions/core/push-token.js';
import {
  FUNCTION_NAMES,
  type FunctionName,
} from '../functions/core/runtime.js';
import { parseCommandLine, runMain } from './lib/args.js';
import { functionProcess, type ServerProcess } from './lib/function-process.js';
import {
  assertPortsFree,
  emulatorAddress,
  functionUrl,
  type LocalPubSub,
  lastWords,
  onShutdownSignal,
  PORT_VARIABLE,
  plural,
  repeatThrottle,
  seconds,
  startLocalPubSub,
} from './lib/local-run.js';
import { humanLogLine, repeatedWarning } from './lib/log-format.js';

const USAGE = `usage: npm start [-- --json-logs]

Runs the Pub/Sub emulator and the ingest, archive and notify functions on
the ports of PUBSUB_EMULATOR_HOST, INGEST_PORT, ARCHIVE_PORT and NOTIFY_PORT
(defaults 8085, 8080, 8081, 8082). Ctrl-C stops everything.
The functions' JSON log lines are shown one readable line each;
--json-logs shows them as they are written.`;

const HEALTH_TIMEOUT_MS = 30_000;

/** Everything started so far, and the one way to stop it. */
class LocalRun {
  pubsub: LocalPubSub | undefined;
  readonly #stopping = new AbortController();
  /** Set by Ctrl-C or SIGTERM: stopping was asked for, not a failure. */
  interrupted = false;

  constructor(readonly functions: readonly ServerProcess[]) {}

  /**
   * Aborted once stopping starts, for whatever reason: start-up checks it,
   * and it ends the wait for the functions' `/healthz` at once.
   */
  get stopping(): AbortSignal {
    return this.#stopping.signal;
  }

  /** Says that stopping has begun, before anything is stopped. */
  beginStopping(): void {
    this.#stopping.abort();
  }

  /**
   * Stops what has been started, functions first (they may still be
   * answering pushes), then the emulator. Safe to call again: each part
   * stops once.
   */
  async stop(): Promise<void> {
    this.beginStopping();
    await Promise.all(this.functions.map((f) => f.stop()));
    await this.pubsub?.emulator.stop();
  }
}

async function main(): Promise<void> {
  const { 'json-logs': jsonLogs } = parseCommandLine(
    process.argv.slice(2),
    { 'json-logs': { type: 'boolean', default: false } },
    z.object({ 'json-logs': z.boolean() }),
  );
  const format = jsonLogs ? (line: string) => line : humanLogLine;
  // Its terminal output failing (a full disk under `> file`) must not
  // bring down what it runs.
  survivePlainStreamErrors();
  const began = performance.now();
  const config = loadConfig();
  const address = emulatorAddress(config);
  await assertPortsFree([
    address,
    ...FUNCTION_NAMES.map((name) => ({
      host: config.host,
      port: config.ports[name],
      variable: PORT_VARIABLE[name],
    })),
  ]);
  const pushToken = await resolvePushToken(config);

  const emulatorHost = `${address.host}:${address.port}`;
  const run = new LocalRun(
    FUNCTION_NAMES.map((name) =>
      localFunction(name, config, emulatorHost, format),
    ),
  );
  let started = false;
  onShutdownSignal((name) => {
    console.error(`\nrelais   | ${name}: stopping everything`);
    run.interrupted = true;
    run.beginStopping();
    // During start-up, main() notices `stopping` after its current step
    // and stops what exists by then.
    if (!started) return;
    run.stop().then(
      () => {
        console.error('relais   | stopped');
        process.exit(0);
      },
      (err: Error) => {
        console.error(`error: ${err.message}`);
        process.exit(1);
      },
    );
  });

  try {
    // The functions need nothing from the emulator to start (their clients
    // connect on first use), so both start at once: the functions' imports
    // overlap the emulator's start instead of following it.
    const healthy = Promise.all(
      run.functions.map((f) => f.start({ signal: run.stopping })),
    );
    // Awaited below; a failure meanwhile must not go unhandled.
    healthy.catch(() => undefined);
    run.pubsub = await startLocalPubSub(config, pushToken, (line) =>
      console.error(`emulator | ${line}`),
    );
    const { emulator } = run.pubsub;
    await healthy;
    if (run.stopping.aborted) return await run.stop();
    watchForCrashes(run);
    started = true;
    printReady(config, emulator, performance.now() - began);
  } catch (err) {
    await run.stop().catch(() => undefined);
    // Interrupted while starting: what failed was stopped on purpose.
    if (!run.interrupted) throw err;
  }
}

/** How a function's lines and notices begin: `archive  | `. */
function linePrefix(name: string): string {
  return `${name.padEnd(8)} | `;
}

/**
 * `functions/server.ts <name>` against the local emulator, its output
 * lines prefixed with its name (stdout to stdout, stderr to stderr).
 */
function localFunction(
  name: FunctionName,
  config: Readonly<Config>,
  emulatorHost: string,
  format: (line: string) => string,
): ServerProcess {
  const prefix = linePrefix(name);
  // In the human format, a warning repeated for every push (a subscriber
  // down, say) shows once, then a count every 10 s.
  const out = (line: string) => console.log(prefix + format(line));
  const stdout =
    format === humanLogLine
      ? repeatThrottle({
          key: repeatedWarning,
          print: out,
          count: (message, held) =>
            `${plural(held, `more "${message}" warning`)} in the last 10 s`,
        })
      : out;
  return functionProcess(name, {
    url: functionUrl(config, name),
    env: {
      PUBSUB_EMULATOR_HOST: emulatorHost,
      PUBSUB_PROJECT_ID: config.projectId,
    },
    startTimeoutMs: HEALTH_TIMEOUT_MS,
    onLine: (line, stream) => {
      if (stream === 'stdout') stdout(line);
      else console.error(prefix + format(line));
    },
    onStopTimeout: () =>
      console.error(`relais   | ${name} ignored SIGTERM; killing it`),
  });
}

/** Restarts of one function within a minute before giving up. */
const MAX_RESTARTS_PER_MINUTE = 5;

/**
 * A function that exits by itself is started again, since pushes it missed
 * come back from Pub/Sub; one that dies more than five times a minute (a
 * bad setting, a broken DATA_DIR) stops the run. The emulator exiting
 * stops the run at once: the topics and messages were in its memory.
 */
function watchForCrashes(run: LocalRun): void {
  const stopAll = (what: string, detail = '') => {
    if (run.stopping.aborted) return;
    console.error(`relais   | ${what}${detail}; stopping everything`);
    process.exitCode = 1;
    void run.stop().finally(() => process.exit(1));
  };
  const restarts = new Map<string, number[]>();
  const watch = (f: ServerProcess) => {
    void f.exited.then(({ code, signal, error }) => {
      if (run.stopping.aborted) return;
      if (error) {
        console.error(`${linePrefix(f.name)}could not start: ${error.message}`);
      }
      const recent = (restarts.get(f.name) ?? []).filter(
        (at) => Date.now() - at < 60_000,
      );
      const how = `${f.name} exited unexpectedly (${code ?? signal})`;
      if (recent.length >= MAX_RESTARTS_PER_MINUTE) {
        stopAll(how, `, ${recent.length} times in a minute`);
        return;
      }
      restarts.set(f.name, [...recent, Date.now()]);
      console.error(`relais   | ${how}; starting it again`);
      f.launch();
      watch(f);
    });
  };
  for (const f of run.functions) watch(f);
  const emulator = run.pubsub?.emulator;
  void emulator?.exited.then(({ code, signal }) =>
    stopAll(
      `the Pub/Sub emulator exited unexpectedly (${code ?? signal})`,
      lastWords(code, emulator.recentOutput()),
    ),
  );
}

function printReady(
  config: Readonly<Config>,
  emulator: EmulatorHandle,
  elapsedMs: number,
): void {
  const ingest = functionUrl(config, 'ingest');
  const auth =
    config.ingestApiKeys.length > 0
      ? " -H 'X-API-Key: <a key from INGEST_API_KEYS>'"
      : '';
  console.log(
    [
      '',
      `relais is running (started in ${seconds(elapsedMs)}, of which` +
        ` the emulator ${seconds(emulator.startupMs)})`,
      `  ingest   ${ingest}  (POST /webhook/personnage)`,
      `  archive  ${functionUrl(config, 'archive')}`,
      `  notify   ${functionUrl(config, 'notify')}`,
      `  Pub/Sub emulator ${emulator.host}, project ${config.projectId},` +
        ` topic ${config.topic}`,
      '',
      'Try it:',
      `  curl -X POST ${ingest}/webhook/personnage` +
        ` -H 'Content-Type: application/json'${auth}` +
        ` -d '{"nom": "Sasuke", "score": 95}'`,
      '',
      'Ctrl-C stops everything.',
      '',
    ].join('\n'),
  );
}

runMain(USAGE, main);
