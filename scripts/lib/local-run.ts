import { isIPv4 } from 'node:net';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { type AppliedAction, applyTopology } from '../../emulator/apply.js';
import {
  type EmulatorHandle,
  isPortInUse,
  startEmulator,
} from '../../emulator/launcher.js';
import { topology } from '../../emulator/topology.js';
import type { Config } from '../../functions/core/config.js';
import { createPubSub } from '../../functions/core/pubsub.js';
import {
  cannotListen,
  type FunctionName,
} from '../../functions/core/runtime.js';

/** The repository root, whatever the current directory. */
export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

export { PORT_VARIABLE } from '../../functions/core/runtime.js';

/** A port a script needs, and the variable that moves it. */
export interface NeededPort {
  host: string;
  port: number;
  variable: string;
}

/** The emulator's address from the configuration, for a local run. */
export function emulatorAddress(
  config: Pick<Config, 'emulatorHost'>,
): NeededPort {
  if (config.emulatorHost === undefined) {
    throw new Error(
      'PUBSUB_EMULATOR_HOST is unset on Cloud Run (K_SERVICE is set): ' +
        'the local scripts only run against the emulator',
    );
  }
  const [host = '', port = ''] = config.emulatorHost.split(':');
  if (!isIPv4(host)) {
    throw new Error(
      `PUBSUB_EMULATOR_HOST must use an IPv4 address (127.0.0.1:${port}), ` +
        `not "${host}"`,
    );
  }
  return { host, port: Number(port), variable: 'PUBSUB_EMULATOR_HOST' };
}

/**
 * Where the emulator and a curl reach the functions: their bind address,
 * or loopback when they bind every interface.
 */
export function localHost(config: Pick<Config, 'host'>): string {
  return ['0.0.0.0', '::', ''].includes(config.host)
    ? '127.0.0.1'
    : config.host;
}

/** The local URL of a function, without a trailing slash. */
export function functionUrl(
  config: Pick<Config, 'host' | 'ports'>,
  name: FunctionName,
): string {
  const host = localHost(config);
  // An IPv6 address goes in brackets in a URL.
  const inUrl = host.includes(':') ? `[${host}]` : host;
  return `http://${inUrl}:${config.ports[name]}`;
}

/** Fails at once if one port is given to two variables, naming both. */
export function assertDistinctPorts(ports: readonly NeededPort[]): void {
  const twice: string[] = [];
  for (const [i, { port, variable }] of ports.entries()) {
    const first = ports.findIndex((p) => p.port === port);
    if (first < i) {
      twice.push(
        `port ${port} is set for both ${ports[first]?.variable} and ` +
          `${variable}: give each its own`,
      );
    }
  }
  if (twice.length > 0) throw new Error(twice.join('\n'));
}

/**
 * Fails at once, naming the port and its variables, if one is taken, is
 * given to two of them, or cannot be listened on at its host.
 */
export async function assertPortsFree(ports: NeededPort[]): Promise<void> {
  assertDistinctPorts(ports);
  const taken: string[] = [];
  for (const { host, port, variable } of ports) {
    const inUse = await isPortInUse(host, port).catch(
      (err: NodeJS.ErrnoException) => {
        const setting = variable === 'PUBSUB_EMULATOR_HOST' ? variable : 'HOST';
        throw new Error(
          cannotListen(`${host}:${port}`, err.code ?? err.message, setting),
        );
      },
    );
    if (inUse) {
      taken.push(
        `port ${port} on ${host} is already in use: stop what listens ` +
          `there or set ${variable} to use another port`,
      );
    }
  }
  if (taken.length > 0) throw new Error(taken.join('\n'));
}

export interface LocalPubSub {
  emulator: EmulatorHandle;
  actions: AppliedAction[];
}

/**
 * Starts the emulator on the configured address and applies the topology,
 * push subscriptions pointed at the functions' configured ports. The
 * emulator is stopped again if the topology cannot be applied.
 */
export async function startLocalPubSub(
  config: Readonly<Config>,
  pushToken: string,
  print: (line: string) => void,
): Promise<LocalPubSub> {
  const { host, port } = emulatorAddress(config);
  const throttle = failedPushThrottle(print);
  const emulator = await startEmulator({
    host,
    port,
    projectId: config.projectId,
    log: (line) => {
      if (worthShowing(line)) throttle(line);
    },
  });
  const pubsub = createPubSub({
    projectId: config.projectId,
    emulatorHost: emulator.host,
  });
  try {
    const spec = topology({
      topic: config.topic,
      pushBase: {
        archive: functionUrl(config, 'archive'),
        notify: functionUrl(config, 'notify'),
      },
      pushToken,
      target: 'emulator',
    });
    const actions = await applyTopology(pubsub, spec, print);
    return { emulator, actions };
  } catch (err) {
    await emulator.stop().catch(() => undefined);
    throw err;
  } finally {
    await pubsub.close();
  }
}

/**
 * The emulator logs two lines per incoming connection and a stack trace
 * per failed push. Only the launcher's status lines, failed pushes (token
 * redacted by the launcher) and the headers of warnings and errors reach
 * the terminal; the rest is kept for the report if it dies.
 */
function worthShowing(line: string): boolean {
  return /^(starting the Pub\/Sub|Pub\/Sub emulator ready|WARNING:|SEVERE:)|Failed to push/.test(
    line,
  );
}

export interface RepeatThrottleOptions {
  /** What makes two lines repeats of one another; undefined: never held. */
  key: (line: string) => string | undefined;
  /** Where the lines and the counts go. */
  print: (line: string) => void;
  /** The line that counts `held` repeats of `key` in the last window. */
  count: (key: string, held: number) => string;
  windowMs?: number;
}

/**
 * Shows the first of a run of repeated lines, then, every `windowMs` while
 * they keep coming, one line counting those held back. A subscriber down
 * for minutes made the emulator and notify print thousands of lines. A
 * repeat after a quiet window is shown whole again.
 */
export function repeatThrottle(
  options: RepeatThrottleOptions,
): (line: string) => void {
  const { key, print, count, windowMs = 10_000 } = options;
  const held = new Map<string, number>();
  const closeWindow = (k: string) => {
    const n = held.get(k) ?? 0;
    if (n === 0) {
      held.delete(k);
      return;
    }
    print(count(k, n));
    held.set(k, 0);
    setTimeout(closeWindow, windowMs, k).unref();
  };
  return (line) => {
    const k = key(line);
    if (k === undefined) {
      print(line);
      return;
    }
    const n = held.get(k);
    if (n !== undefined) {
      held.set(k, n + 1);
      return;
    }
    print(line);
    held.set(k, 0);
    setTimeout(closeWindow, windowMs, k).unref();
  };
}

/** `1 thing`, `2 things`: `n` and its noun, plural when `n` is not 1. */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

const FAILED_PUSH = /Failed to push to endpoint '([^']*)'/;

/** The emulator's failed pushes, one line per endpoint every 10 s. */
export function failedPushThrottle(
  print: (line: string) => void,
): (line: string) => void {
  return repeatThrottle({
    key: (line) => FAILED_PUSH.exec(line)?.[1],
    print,
    count: (endpoint, held) => {
      const pushes = plural(held, 'more failed push', 'more failed pushes');
      return `INFO: ${pushes} to endpoint '${endpoint}' in the last 10 s`;
    },
  });
}

/** Writes each line of `stream` to `write`, after `prefix`. */
export function prefixLines(
  stream: Readable | null,
  prefix: string,
  write: (line: string) => void,
): void {
  if (!stream) return;
  createInterface({ input: stream }).on('line', (line) =>
    write(`${prefix}${line}`),
  );
}

/**
 * Calls `handler` once on the first SIGINT, SIGTERM or SIGHUP (the
 * terminal closed: the children run in process groups of their own, so
 * the hangup reaches only us); later ones (npm forwards Ctrl-C as well, so
 * two often arrive) are ignored while it runs.
 */
export function onShutdownSignal(
  handler: (signal: NodeJS.Signals) => void,
): void {
  let received = false;
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      if (received) return;
      received = true;
      handler(signal);
    });
  }
}

export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/**
 * What the emulator said last, when it exited by itself (killed by a
 * signal, its old output is only noise): ten lines, marked as its own.
 */
export function lastWords(code: number | null, lines: string[]): string {
  if (code === null || lines.length === 0) return '';
  const tail = lines.slice(-10).map((line) => `\n  emulator | ${line}`);
  return `; its last lines:${tail.join('')}\n`;
}
