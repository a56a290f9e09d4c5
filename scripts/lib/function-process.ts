import { type ChildProcess, spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { signalGroup } from '../../emulator/process-group.js';
import type { FunctionName } from '../../functions/core/runtime.js';
import { REPO_ROOT } from './local-run.js';

export interface FunctionProcessOptions {
  /** What the process's environment adds to this one's. */
  env: NodeJS.ProcessEnv;
  /** `http://host:port` it serves on (from the env's port variable). */
  url: string;
  /** Receives each output line; output is dropped when absent. */
  onLine?: (line: string) => void;
  /** How long `start()` waits for `/healthz` (default 30 s). */
  startTimeoutMs?: number;
  /**
   * Node's flags before the script; `--import tsx` when absent. Compiled
   * JS runs with `[]` (and `--cpu-prof` is refused in NODE_OPTIONS).
   */
  nodeArgs?: readonly string[];
}

/**
 * A local HTTP server run as `node --import tsx <script> [args]`, in a
 * process group of its own: Node runs the server itself (no `tsx`
 * wrapper), so the pid is the server's, for signals and /proc readings.
 * It is stopped by its group, never by name.
 */
export class ServerProcess {
  #child: ChildProcess | undefined;
  #exited: Promise<void> = Promise.resolve();

  constructor(
    readonly name: string,
    /** The script and its arguments, relative to the repository. */
    private readonly command: readonly string[],
    private readonly options: FunctionProcessOptions,
  ) {}

  get url(): string {
    return this.options.url;
  }

  /** The server's pid while it runs. */
  get pid(): number | undefined {
    const child = this.#child;
    return child && child.exitCode === null && child.signalCode === null
      ? child.pid
      : undefined;
  }

  /** Spawns the server and resolves once `/healthz` answers 200. */
  async start(): Promise<void> {
    const { onLine } = this.options;
    const child = spawn(
      process.execPath,
      [...(this.options.nodeArgs ?? ['--import', 'tsx']), ...this.command],
      {
        cwd: REPO_ROOT,
        env: { ...process.env, ...this.options.env },
        detached: true,
        stdio: [
          'ignore',
          onLine ? 'pipe' : 'ignore',
          onLine ? 'pipe' : 'ignore',
        ],
      },
    );
    this.#child = child;
    this.#exited = new Promise((resolve) =>
      child.once('exit', () => resolve()),
    );
    if (onLine) {
      const { createInterface } = await import('node:readline');
      for (const stream of [child.stdout, child.stderr]) {
        if (stream) createInterface({ input: stream }).on('line', onLine);
      }
    }
    const deadline = Date.now() + (this.options.startTimeoutMs ?? 30_000);
    while (Date.now() < deadline && this.pid !== undefined) {
      const ok = await fetch(`${this.url}/healthz`, {
        signal: AbortSignal.timeout(1_000),
      }).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) return;
      await sleep(50);
    }
    await this.stop('SIGKILL');
    throw new Error(`${this.name} did not answer ${this.url}/healthz`);
  }

  /**
   * Signals the process group (SIGKILL after 5 s if `signal` is not
   * enough) and resolves once the server has exited. Idempotent.
   */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const pid = this.pid;
    if (pid === undefined) return;
    signalGroup(pid, signal);
    const timer = setTimeout(() => signalGroup(pid, 'SIGKILL'), 5_000);
    await this.#exited;
    clearTimeout(timer);
  }
}

/** One function served by `functions/server.ts <name>`. */
export function functionProcess(
  name: FunctionName,
  options: FunctionProcessOptions,
): ServerProcess {
  return new ServerProcess(name, ['functions/server.ts', name], options);
}
