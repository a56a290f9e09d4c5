import { type ChildProcess, spawn } from 'node:child_process';
import { isIPv4 } from 'node:net';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  checkJava,
  EmulatorNotInstalledError,
  INSTALL_HINT,
  resolveCommand,
} from './install.js';
import { isPortInUse } from './ports.js';
import {
  groupStopper,
  type ProcessExit,
  signalGroup,
} from './process-group.js';
import { redactToken } from './redact.js';

export { EmulatorNotInstalledError, INSTALL_HINT } from './install.js';
export { freePort, isPortInUse } from './ports.js';
export { isGroupAlive } from './process-group.js';

/** The emulator started but did not answer; `output` is its last lines. */
export class EmulatorStartError extends Error {
  override name = 'EmulatorStartError';
  constructor(
    message: string,
    readonly output: string,
  ) {
    super(`${message}\n--- last lines of the emulator's output ---\n${output}`);
  }
}

/** Something already listens where the emulator should. */
export class PortInUseError extends Error {
  override name = 'PortInUseError';
  constructor(
    readonly host: string,
    readonly port: number,
  ) {
    super(`port ${port} on ${host} is already in use`);
  }
}

export interface EmulatorOptions {
  /** An IPv4 address: the Node client cannot take an IPv6 literal. */
  host: string;
  port: number;
  /** Only the gcloud fallback needs it; the emulator accepts any project. */
  projectId: string;
  /** Receives status lines and every line the emulator prints. */
  log?: (line: string) => void;
  /** The emulator's launcher script; found from the gcloud SDK if absent. */
  binary?: string;
  /** gcloud, for the SDK lookup and the fallback; `gcloud` on PATH if absent. */
  gcloud?: string;
  /** Force `gcloud beta emulators pubsub start` even if the launcher exists. */
  via?: 'launcher' | 'gcloud';
  /** PATH and JAVA_HOME are read from here (default `process.env`). */
  env?: NodeJS.ProcessEnv;
  /** How long to wait for `GET /` to answer `Ok` (default 30 s). */
  readyTimeoutMs?: number;
  /** How long `stop()` waits after SIGTERM before SIGKILL (default 5 s). */
  stopGraceMs?: number;
}

export interface EmulatorHandle {
  /** `host:port`, the value for `PUBSUB_EMULATOR_HOST`. */
  host: string;
  /** The child's pid, also its process group id. */
  pid: number;
  /** From spawn to the first `Ok`, in milliseconds. */
  startupMs: number;
  /** Which command runs: the emulator's launcher or `gcloud beta`. */
  via: 'launcher' | 'gcloud';
  /** The emulator's last output lines (up to 40), for error reports. */
  recentOutput(): string[];
  /** Settles when the emulator's main process exits, for whatever reason. */
  exited: Promise<ProcessExit>;
  /**
   * Stops the whole process group (SIGTERM, then SIGKILL after the grace
   * period) and resolves once no process of the group is left. Idempotent.
   */
  stop(): Promise<void>;
}

/**
 * Starts the installed Pub/Sub emulator in its own process group and
 * resolves once `GET http://host:port/` answers `Ok`.
 *
 * The emulator's own launcher script is preferred: it `exec`s Java, so the
 * pid is the JVM. The `gcloud beta emulators pubsub start` fallback does
 * not stop its Java child when it is killed, which is why the whole group
 * is always signalled. https://cloud.google.com/pubsub/docs/emulator
 */
export async function startEmulator(
  options: EmulatorOptions,
): Promise<EmulatorHandle> {
  const { host, port } = options;
  const log = options.log ?? (() => undefined);
  if (!isIPv4(host)) {
    throw new Error(
      `emulator host must be an IPv4 address such as 127.0.0.1, not "${host}"`,
    );
  }
  const env = options.env ?? process.env;
  const command = await resolveCommand(options, env);
  await checkJava(env);
  if (await isPortInUse(host, port)) throw new PortInUseError(host, port);

  log(`starting the Pub/Sub emulator (${command.via}) on ${host}:${port}`);
  const started = performance.now();
  const child = spawn(command.file, command.args(options), {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env,
  });
  const tail = collectOutput(child, log);
  const exited = new Promise<ProcessExit>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  const spawned = await new Promise<Error | undefined>((resolve) => {
    child.once('spawn', () => resolve(undefined));
    child.once('error', resolve);
  });
  if (spawned || child.pid === undefined) {
    throw new EmulatorNotInstalledError(
      `could not run ${command.file}: ${spawned?.message ?? 'no pid'}`,
    );
  }
  const pid = child.pid;
  const stop = groupStopper(pid, exited, options.stopGraceMs ?? 5_000);
  // Last resort when the parent exits without calling stop(): a detached
  // group would otherwise outlive it and keep the port.
  const onParentExit = () => signalGroup(pid, 'SIGKILL');
  process.once('exit', onParentExit);
  const handleStop = async () => {
    await stop();
    process.off('exit', onParentExit);
  };

  const readyTimeoutMs = options.readyTimeoutMs ?? 30_000;
  const outcome = await waitUntilReady(
    `http://${host}:${port}/`,
    exited,
    readyTimeoutMs,
  );
  if (outcome !== 'ready') {
    await handleStop().catch(() => undefined);
    const why =
      outcome === 'timeout'
        ? `did not answer Ok on ${host}:${port} within ${readyTimeoutMs} ms`
        : `exited (${outcome.code ?? outcome.signal}) before answering`;
    // gcloud exits at once when the emulator component is missing.
    const hint =
      outcome !== 'timeout' && command.via === 'gcloud'
        ? `\n${INSTALL_HINT}`
        : '';
    throw new EmulatorStartError(
      `the Pub/Sub emulator ${why}${hint}`,
      tail().join('\n'),
    );
  }
  const startupMs = Math.round(performance.now() - started);
  log(`Pub/Sub emulator ready on ${host}:${port} in ${startupMs} ms`);
  return {
    host: `${host}:${port}`,
    pid,
    startupMs,
    via: command.via,
    recentOutput: () => [...tail()],
    exited,
    stop: handleStop,
  };
}

async function waitUntilReady(
  url: string,
  exited: Promise<ProcessExit>,
  timeoutMs: number,
): Promise<'ready' | 'timeout' | ProcessExit> {
  let exit: ProcessExit | undefined;
  void exited.then((e) => {
    exit = e;
  });
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (exit) return exit;
    if (await answersOk(url)) return 'ready';
    await Promise.race([exited, sleep(100)]);
  }
  return exit ?? 'timeout';
}

async function answersOk(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(1_000) });
    return res.ok && (await res.text()).trim() === 'Ok';
  } catch {
    return false;
  }
}

/**
 * Forwards each output line to `log` and keeps the last 40 for errors,
 * with push tokens hidden: a failed push is logged with its endpoint.
 */
function collectOutput(
  child: ChildProcess,
  log: (line: string) => void,
): () => string[] {
  const lines: string[] = [];
  for (const stream of [child.stdout, child.stderr]) {
    if (!stream) continue;
    createInterface({ input: stream }).on('line', (raw) => {
      const line = redactToken(raw);
      lines.push(line);
      if (lines.length > 40) lines.shift();
      log(line);
    });
  }
  return () => lines;
}
