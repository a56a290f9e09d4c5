import {
  type ChildProcess,
  type SpawnOptions,
  spawn,
} from 'node:child_process';
import { defer } from './cleanup.js';

export interface TrackedProcess {
  child: ChildProcess;
  pid: number;
  /** Everything the process wrote so far, stdout and stderr interleaved. */
  output(): string;
  /** Settles when the process exits. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /**
   * SIGTERM, then SIGKILL after `graceMs` (default 3 s); resolves once the
   * process has exited. Idempotent.
   */
  stop(graceMs?: number): Promise<void>;
}

export interface SpawnTrackedOptions extends SpawnOptions {
  /**
   * Start it in its own process group and signal the whole group, for
   * commands that start children of their own (`detached` is implied).
   */
  group?: boolean;
}

const live = new Set<TrackedProcess>();

/**
 * Spawns a process a test needs and makes sure it does not outlive the
 * test (or the file, when spawned outside a test): it is stopped by its
 * pid, or by its process group with `group: true`, never by name.
 */
export function spawnTracked(
  command: string,
  args: readonly string[],
  options: SpawnTrackedOptions = {},
): TrackedProcess {
  const { group = false, ...spawnOptions } = options;
  const child = spawn(command, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    ...spawnOptions,
    detached: group || spawnOptions.detached === true,
  });
  if (child.pid === undefined) {
    throw new Error(`could not spawn ${command}`);
  }
  const pid = child.pid;
  const chunks: string[] = [];
  child.stdout?.on('data', (chunk: Buffer) => chunks.push(chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => chunks.push(chunk.toString()));
  child.on('error', (err) => chunks.push(`[spawn error] ${err.message}\n`));
  const exited = new Promise<{
    code: number | null;
    signal: NodeJS.Signals | null;
  }>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      resolve({ code: child.exitCode, signal: child.signalCode });
    } else {
      child.once('exit', (code, signal) => resolve({ code, signal }));
    }
  });
  let stopping: Promise<void> | undefined;
  let done = false;
  void exited.then(() => {
    done = true;
  });

  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(group ? -pid : pid, sig);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
    }
  };
  const tracked: TrackedProcess = {
    child,
    pid,
    output: () => chunks.join(''),
    exited,
    stop(graceMs = 3_000) {
      stopping ??= (async () => {
        if (!done || group) signal('SIGTERM');
        let timer: NodeJS.Timeout | undefined;
        const grace = new Promise((resolve) => {
          timer = setTimeout(resolve, graceMs);
        });
        await Promise.race([exited, grace]);
        clearTimeout(timer);
        if (!done || group) signal('SIGKILL');
        await exited;
        live.delete(tracked);
      })();
      return stopping;
    },
  };
  live.add(tracked);
  defer(() => tracked.stop());
  return tracked;
}

/** Processes started by `spawnTracked` that have not been stopped yet. */
export function trackedProcesses(): readonly TrackedProcess[] {
  return [...live];
}

/**
 * `bash` and its arguments to run a TypeScript file with Node (through
 * tsx) under a file size limit of `kib` KiB: past it a write is cut short,
 * then fails with EFBIG, as on a full disk.
 */
export function tsxUnderFileSizeLimit(
  kib: number,
  script: string,
  args: readonly string[] = [],
): [string, string[]] {
  return [
    'bash',
    [
      '-c',
      `ulimit -S -f ${kib} && exec "$0" --import tsx "$@"`,
      process.execPath,
      script,
      ...args,
    ],
  ];
}
