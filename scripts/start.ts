/**
 * `npm start`: the whole of relais on one machine. Starts the Pub/Sub
 * emulator, applies the topology, runs ingest, archive and notify as child
 * processes (`functions/server.ts`), waits until each answers `/healthz`,
 * then prints the URLs and a curl to try.
 *
 * Ctrl-C or SIGTERM stops everything (functions by pid, the emulator by
 * process group) and exits 0. A function that dies on its own is started
 * again (Pub/Sub redelivers what it missed); one that keeps dying, or the
 * emulator dying (its messages lived in its memory), stops everything and
 * exits 1.
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import type { EmulatorHandle } from '../emulator/launcher.js';
import { type Config, loadConfig } from '../functions/core/config.js';
import { resolvePushToken } from '../functions/core/push-token.js';
import {
  FUNCTION_NAMES,
  type FunctionName,
} from '../functions/core/runtime.js';
import { parseCommandLine, runMain } from './lib/args.js';
import {
  assertPortsFree,
  emulatorAddress,
  functionUrl,
  type LocalPubSub,
  localHost,
  onShutdownSignal,
  PORT_VARIABLE,
  prefixLines,
  REPO_ROOT,
  seconds,
  startLocalPubSub,
} from './lib/local-run.js';
import { humanLogLine } from './lib/log-format.js';

const USAGE = `usage: npm start [-- --json-logs]

Runs the Pub/Sub emulator and the ingest, archive and notify functions on
the ports of PUBSUB_EMULATOR_HOST, INGEST_PORT, ARCHIVE_PORT and NOTIFY_PORT
(defaults 8085, 8080, 8081, 8082). Ctrl-C stops everything.
The functions' JSON log lines are shown one readable line each;
--json-logs shows them as they are written.`;

const HEALTH_TIMEOUT_MS = 30_000;
const STOP_GRACE_MS = 5_000;

interface RunningFunction {
  name: FunctionName;
  child: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Everything started so far, and the one way to stop it. */
class LocalRun {
  pubsub: LocalPubSub | undefined;
  readonly functions: RunningFunction[] = [];
  /** Set once stopping starts, for whatever reason; start-up checks it. */
  stopping = false;
  /** Set by Ctrl-C or SIGTERM: stopping was asked for, not a failure. */
  interrupted = false;

  /**
   * Stops what has been started, functions first (they may still be
   * answering pushes), then the emulator. Safe to call again: each part
   * stops once.
   */
  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.functions.map((f) => stopFunction(f)));
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
  const began = performance.now();
  const config = loadConfig();
  const host = localHost(config);
  await assertPortsFree([
    emulatorAddress(config),
    ...FUNCTION_NAMES.map((name) => ({
      host: config.host,
      port: config.ports[name],
      variable: PORT_VARIABLE[name],
    })),
  ]);
  const pushToken = await resolvePushToken(config);

  const run = new LocalRun();
  let started = false;
  // Last resort if this process exits without stopping its children (an
  // uncaught error): they are in process groups of their own.
  process.once('exit', () => {
    for (const f of run.functions) signal(f.child.pid, 'SIGKILL');
  });
  onShutdownSignal((name) => {
    console.error(`\nrelais   | ${name}: stopping everything`);
    run.stopping = true;
    run.interrupted = true;
    // During start-up, main() notices `stopping` after its current step
    // and stops what exists by then.
    if (!started) return;
    run.stop().then(
      () => process.exit(0),
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
    const address = emulatorAddress(config);
    const emulatorHost = `${address.host}:${address.port}`;
    for (const name of FUNCTION_NAMES) {
      run.functions.push(startFunction(name, config, emulatorHost, format));
    }
    const healthy = Promise.all(
      run.functions.map((f) => waitUntilHealthy(f, config, host, run)),
    );
    // Awaited below; a failure meanwhile must not go unhandled.
    healthy.catch(() => undefined);
    run.pubsub = await startLocalPubSub(config, pushToken, (line) =>
      console.error(`emulator | ${line}`),
    );
    const { emulator } = run.pubsub;
    await healthy;
    if (run.stopping) return await run.stop();
    watchForCrashes(run, (name) =>
      startFunction(name, config, emulatorHost, format),
    );
    started = true;
    printReady(config, emulator, performance.now() - began);
  } catch (err) {
    await run.stop().catch(() => undefined);
    // Interrupted while starting: what failed was stopped on purpose.
    if (!run.interrupted) throw err;
  }
}

/**
 * Runs `functions/server.ts` with Node and the tsx loader directly rather
 * than through the `tsx` command, which would put a second process between
 * this one and the server: the pid we signal is the server's.
 */
function startFunction(
  name: FunctionName,
  config: Readonly<Config>,
  emulatorHost: string,
  format: (line: string) => string,
): RunningFunction {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'functions/server.ts', name],
    {
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        PUBSUB_EMULATOR_HOST: emulatorHost,
        PUBSUB_PROJECT_ID: config.projectId,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group, so Ctrl-C reaches only this script, which
      // then stops the functions in order.
      detached: true,
    },
  );
  const prefix = `${name.padEnd(8)} | `;
  prefixLines(child.stdout, '', (line) => console.log(prefix + format(line)));
  prefixLines(child.stderr, '', (line) => console.error(prefix + format(line)));
  const exited = new Promise<{
    code: number | null;
    signal: NodeJS.Signals | null;
  }>((resolve) => {
    child.once('exit', (code, sig) => resolve({ code, signal: sig }));
    child.once('error', (err) => {
      console.error(`${prefix}could not start: ${err.message}`);
      resolve({ code: null, signal: null });
    });
  });
  return { name, child, exited };
}

/** Restarts of one function within a minute before giving up. */
const MAX_RESTARTS_PER_MINUTE = 5;

/**
 * A function that exits by itself is started again, since pushes it missed
 * come back from Pub/Sub; one that dies more than five times a minute (a
 * bad setting, a broken DATA_DIR) stops the run. The emulator exiting
 * stops the run at once: the topics and messages were in its memory.
 */
function watchForCrashes(
  run: LocalRun,
  restart: (name: FunctionName) => RunningFunction,
): void {
  const stopAll = (what: string, detail = '') => {
    if (run.stopping) return;
    console.error(`relais   | ${what}${detail}; stopping everything`);
    process.exitCode = 1;
    void run.stop().finally(() => process.exit(1));
  };
  const restarts = new Map<FunctionName, number[]>();
  const watch = (f: RunningFunction) => {
    void f.exited.then(({ code, signal }) => {
      if (run.stopping) return;
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
      const again = restart(f.name);
      run.functions[run.functions.indexOf(f)] = again;
      watch(again);
    });
  };
  for (const f of run.functions) watch(f);
  const emulator = run.pubsub?.emulator;
  void emulator?.exited.then(({ code, signal }) =>
    stopAll(
      `the Pub/Sub emulator exited unexpectedly (${code ?? signal})`,
      `\n${emulator.recentOutput().join('\n')}`,
    ),
  );
}

async function waitUntilHealthy(
  f: RunningFunction,
  config: Readonly<Config>,
  host: string,
  run: LocalRun,
): Promise<void> {
  const url = `http://${host}:${config.ports[f.name]}/healthz`;
  let exited = false;
  void f.exited.then(() => {
    exited = true;
  });
  const deadline = Date.now() + HEALTH_TIMEOUT_MS;
  while (Date.now() < deadline && !exited && !run.stopping) {
    const ok = await fetch(url, { signal: AbortSignal.timeout(1_000) })
      .then((res) => res.ok)
      .catch(() => false);
    if (ok) return;
    await sleep(100);
  }
  if (run.stopping) return;
  throw new Error(
    exited
      ? `${f.name} exited before answering ${url}`
      : `${f.name} did not answer ${url} within ${HEALTH_TIMEOUT_MS} ms`,
  );
}

async function stopFunction(f: RunningFunction): Promise<void> {
  if (f.child.exitCode !== null || f.child.signalCode !== null) return;
  signal(f.child.pid, 'SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const grace = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), STOP_GRACE_MS);
  });
  const outcome = await Promise.race([f.exited, grace]);
  clearTimeout(timer);
  if (outcome === 'late') {
    console.error(`relais   | ${f.name} ignored SIGTERM; killing it`);
    signal(f.child.pid, 'SIGKILL');
    await f.exited;
  }
}

/** Signals one process by pid; one already gone is fine. */
function signal(pid: number | undefined, sig: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(pid, sig);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
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
