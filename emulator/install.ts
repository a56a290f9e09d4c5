import { execFile } from 'node:child_process';
import { constants } from 'node:fs';
import { access, realpath, stat } from 'node:fs/promises';
import { delimiter, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import type { EmulatorOptions } from './launcher.js';

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

/** The command that runs the emulator, and whether it is the launcher. */
export interface Command {
  via: 'launcher' | 'gcloud';
  file: string;
  args: (o: EmulatorOptions) => string[];
}

const commandCache = new Map<string, Promise<Command>>();
const javaCache = new Map<string, Promise<void>>();

/**
 * Finds how to run the emulator (its own launcher script, or `gcloud beta`),
 * once per option set; a failure is an `EmulatorNotInstalledError`.
 */
export function resolveCommand(
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
export function checkJava(env: NodeJS.ProcessEnv): Promise<void> {
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
