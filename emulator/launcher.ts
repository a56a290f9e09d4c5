import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { constants } from 'node:fs';
import { access, realpath, stat } from 'node:fs/promises';
import { isIPv4 } from 'node:net';
import { delimiter, dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { isPortInUse } from './ports.js';
import { redactToken } from './redact.js';

export { freePort, isPortInUse } from './ports.js';

const run = promisify(execFile);

/** How the Pub/Sub emulator is installed and how to install it. */
export const INSTALL_HINT = [
  'Install the Pub/Sub emulator with one of:',
  '  gcloud components install pubsub-emulator beta',
  '  sudo apt-get install google-cloud-cli-pubsub-emulator' +
    '   (Debian/Ubuntu, from Google Cloud apt repository)',
  'and a Java runtime 11 or newer (JDK 11+), for example:',
  '  sudo apt-get install openjdk-17-jre-headless',
].join('\n');

/** gcloud, the emulator or Java is missing: nothing to retry, install it. */
export class EmulatorNotInstalledError extends Error {
  override name = 'EmulatorNotInstalledError';
  constructor(reason: string) {
    super(`${reason}\n${INSTALL_HINT}`);
  }
}

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
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /**
   * Stops the whole process group (SIGTERM, then SIGKILL after the grace
   * period) and resolves once no process of the group is left. Idempotent.
   */
  stop(): Promise<void>;
}

interface Command {
  via: 'launcher' | 'gcloud';
  file: string;
  args: (o: EmulatorOptions) => string[];
}

const commandCache = new Map<string, Promise<Command>>();
const javaCache = new Map<string, Promise<void>>();

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
  const exited = new Promise<{
    code: number | null;
    signal: NodeJS.Signals | null;
  }>((resolve) => {
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

/** True while any process of group `pgid` exists. */
export function isGroupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}

function groupStopper(
  pgid: number,
  exited: Promise<unknown>,
  graceMs: number,
): () => Promise<void> {
  let stopping: Promise<void> | undefined;
  return () => {
    stopping ??= (async () => {
      signalGroup(pgid, 'SIGTERM');
      if (await groupGone(pgid, exited, graceMs)) return;
      signalGroup(pgid, 'SIGKILL');
      if (await groupGone(pgid, exited, 3_000)) return;
      throw new Error(`processes of group ${pgid} survived SIGKILL`);
    })();
    return stopping;
  };
}

/**
 * Waits until no process of the group is left. The leader counts until
 * Node reaps it, so its exit is awaited first, then the rest of the group
 * (a Java child of the gcloud wrapper, for instance).
 */
async function groupGone(
  pgid: number,
  exited: Promise<unknown>,
  timeoutMs: number,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  await Promise.race([exited, sleep(timeoutMs)]);
  while (isGroupAlive(pgid)) {
    if (Date.now() >= deadline) return false;
    await sleep(50);
  }
  return true;
}

async function waitUntilReady(
  url: string,
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>,
  timeoutMs: number,
): Promise<
  'ready' | 'timeout' | { code: number | null; signal: NodeJS.Signals | null }
> {
  let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
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

function resolveCommand(
  options: EmulatorOptions,
  env: NodeJS.ProcessEnv,
): Promise<Command> {
  const key = [options.binary, options.gcloud, options.via].join('\0');
  let found = commandCache.get(key);
  if (!found) {
    found = findCommand(options, env);
    // A failure is not cached: the developer may install and retry.
    found.catch(() => commandCache.delete(key));
    commandCache.set(key, found);
  }
  return found;
}

async function findCommand(
  options: EmulatorOptions,
  env: NodeJS.ProcessEnv,
): Promise<Command> {
  if (options.binary !== undefined) {
    if (!(await isExecutable(options.binary))) {
      throw new EmulatorNotInstalledError(
        `no Pub/Sub emulator launcher at ${options.binary}`,
      );
    }
    return launcherCommand(options.binary);
  }
  const gcloud = options.gcloud ?? (await which('gcloud', env));
  if (gcloud === undefined || !(await isExecutable(gcloud))) {
    throw new EmulatorNotInstalledError(
      options.gcloud
        ? `gcloud not found at ${options.gcloud}`
        : 'gcloud is not on PATH',
    );
  }
  const sdkRoot = await findSdkRoot(gcloud);
  const launcher = join(
    sdkRoot,
    'platform/pubsub-emulator/bin/cloud-pubsub-emulator',
  );
  if (options.via !== 'gcloud' && (await isExecutable(launcher))) {
    return launcherCommand(launcher);
  }
  // Not where the SDK keeps it: let gcloud find (or report) the component.
  return {
    via: 'gcloud',
    file: gcloud,
    args: (o) => [
      'beta',
      'emulators',
      'pubsub',
      'start',
      `--project=${o.projectId}`,
      `--host-port=${o.host}:${o.port}`,
    ],
  };
}

function launcherCommand(file: string): Command {
  return {
    via: 'launcher',
    file,
    args: (o) => [`--host=${o.host}`, `--port=${o.port}`],
  };
}

/**
 * The SDK root: `bin/gcloud`'s grandparent when the resolved binary sits in
 * an SDK tree (as in the Debian package), otherwise what `gcloud info`
 * says (about 0.6 s, hence tried second).
 */
async function findSdkRoot(gcloud: string): Promise<string> {
  const real = await realpath(gcloud);
  const guess = dirname(dirname(real));
  if (await isExecutable(join(guess, 'bin', 'gcloud'))) {
    try {
      await access(join(guess, 'platform'));
      return guess;
    } catch {
      // No platform/ directory here: ask gcloud.
    }
  }
  try {
    const { stdout } = await run(
      gcloud,
      ['info', '--format=value(installation.sdk_root)'],
      { timeout: 20_000 },
    );
    return stdout.trim() || guess;
  } catch (err) {
    throw new EmulatorNotInstalledError(
      `gcloud at ${gcloud} does not run: ${(err as Error).message}`,
    );
  }
}

/** Java as the launcher script finds it: JAVA_HOME first, then PATH. */
function checkJava(env: NodeJS.ProcessEnv): Promise<void> {
  const key = `${env.JAVA_HOME ?? ''}\0${env.PATH ?? ''}`;
  let checked = javaCache.get(key);
  if (!checked) {
    checked = findJava(env);
    checked.catch(() => javaCache.delete(key));
    javaCache.set(key, checked);
  }
  return checked;
}

async function findJava(env: NodeJS.ProcessEnv): Promise<void> {
  const java = env.JAVA_HOME
    ? join(env.JAVA_HOME, 'bin', 'java')
    : await which('java', env);
  if (java === undefined || !(await isExecutable(java))) {
    throw new EmulatorNotInstalledError(
      env.JAVA_HOME
        ? `no java in JAVA_HOME (${env.JAVA_HOME}/bin/java)`
        : 'java is not on PATH',
    );
  }
  let output: string;
  try {
    const { stderr, stdout } = await run(java, ['-version'], {
      timeout: 20_000,
    });
    output = `${stderr}${stdout}`;
  } catch (err) {
    throw new EmulatorNotInstalledError(
      `${java} does not run: ${(err as Error).message}`,
    );
  }
  // `version "1.8.0_392"` is Java 8; `version "17.0.15"` is 17.
  const match = /version "(\d+)(?:\.(\d+))?/.exec(output);
  const first = Number(match?.[1]);
  const major = first === 1 ? Number(match?.[2]) : first;
  if (Number.isFinite(major) && major < 11) {
    throw new EmulatorNotInstalledError(
      `${java} is Java ${major}; the emulator needs 11 or newer`,
    );
  }
}

async function which(
  name: string,
  env: NodeJS.ProcessEnv,
): Promise<string | undefined> {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, name);
    if (await isExecutable(candidate)) return candidate;
  }
  return undefined;
}

async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
