import { type ChildProcess, spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { type ProcessExit, signalGroup } from '../../emulator/process-group.js';
import type { FunctionName } from '../../functions/core/runtime.js';
import { prefixLines, REPO_ROOT } from './local-run.js';

/** How a server ended: its exit, or the error that kept it from starting. */
export interface ServerExit extends ProcessExit {
  /** Set when the process could not be spawned at all. */
  error?: Error;
}

export interface FunctionProcessOptions {
  /** What the process's environment adds to this one's. */
  env: NodeJS.ProcessEnv;
  /** `http://host:port` it serves on (from the env's port variable). */
  url: string;
  /**
   * Receives each output line, with the stream it came from; output is
   * dropped when absent.
   */
  onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
  /** How long `start()` waits for `/healthz` (default 30 s). */
  startTimeoutMs?: number;
  /** How long `stop()` waits after its signal before SIGKILL (default 5 s). */
  stopGraceMs?: number;
  /** Called when `stop()`'s grace runs out, just before the SIGKILL. */
  onStopTimeout?: () => void;
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
 * It is stopped by its group, never by name, and killed with its group if
 * this process exits while it runs. Once it has exited, `launch()` or
 * `start()` runs it again.
 */
export class ServerProcess {
  #child: ChildProcess | undefined;
  /** The last lines the server wrote to stderr: why it would not start. */
  #lastErrors: string[] = [];
  /** Settles once the server's output is all read (or it never ran). */
  #drained: Promise<void> = Promise.resolve();
  #exited: Promise<ServerExit> = Promise.resolve({ code: null, signal: null });

  constructor(
    readonly name: string,
    /** The script and its arguments, relative to the repository. */
    private readonly command: readonly string[],
    private readonly options: FunctionProcessOptions,
  ) {}

  get url(): string {
    return this.options.url;
  }

  /** The server's pid (also its process group's id) while it runs. */
  get pid(): number | undefined {
    const child = this.#child;
    return child && child.exitCode === null && child.signalCode === null
      ? child.pid
      : undefined;
  }

  /**
   * Settles when the server last launched exits, for whatever reason (at
   * once if none was launched): a crash, a signal, `stop()`.
   */
  get exited(): Promise<ServerExit> {
    return this.#exited;
  }

  /**
   * Spawns the server without waiting for it to answer; `start()` waits.
   * Refused while the last one launched still runs.
   */
  launch(): void {
    if (this.pid !== undefined) {
      throw new Error(`${this.name} is already running (pid ${this.pid})`);
    }
    const { onLine } = this.options;
    const child = spawn(
      process.execPath,
      [...(this.options.nodeArgs ?? ['--import', 'tsx']), ...this.command],
      {
        cwd: REPO_ROOT,
        env: { ...process.env, ...this.options.env },
        detached: true,
        // stderr is always read: its last lines explain a failed start.
        stdio: ['ignore', onLine ? 'pipe' : 'ignore', 'pipe'],
      },
    );
    this.#child = child;
    if (child.pid !== undefined) killOnExit.add(child.pid);
    this.#exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => resolve({ code, signal }));
      // Spawning failed: there is no process, and no 'exit' will come.
      child.on('error', (error) => {
        if (child.pid === undefined) {
          resolve({ code: null, signal: null, error });
        }
      });
    });
    void this.#exited.then(() => {
      if (child.pid !== undefined) killOnExit.delete(child.pid);
    });
    const lastErrors: string[] = [];
    this.#lastErrors = lastErrors;
    this.#drained = new Promise((resolve) => {
      child.once('close', () => resolve());
      child.once('error', () => resolve());
    });
    if (onLine) {
      prefixLines(child.stdout, '', (line) => onLine(line, 'stdout'));
    }
    prefixLines(child.stderr, '', (line) => {
      lastErrors.push(line);
      if (lastErrors.length > LAST_ERROR_LINES) lastErrors.shift();
      onLine?.(line, 'stderr');
    });
  }

  /**
   * Spawns the server and resolves once `/healthz` answers 200. If the
   * server exits first or does not answer in time, it is killed and
   * `start()` rejects. Aborting `signal` ends the wait at once: `start()`
   * rejects with the signal's reason and leaves the server to `stop()`.
   */
  async start(options: { signal?: AbortSignal } = {}): Promise<void> {
    const { signal } = options;
    signal?.throwIfAborted();
    this.launch();
    const timeoutMs = this.options.startTimeoutMs ?? 30_000;
    const healthz = `${this.url}/healthz`;
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline && this.pid !== undefined) {
      const attempt = AbortSignal.timeout(1_000);
      const ok = await fetch(healthz, {
        signal: signal ? AbortSignal.any([signal, attempt]) : attempt,
      }).then(
        (r) => r.ok,
        () => false,
      );
      signal?.throwIfAborted();
      if (ok) return;
      await sleep(50, undefined, { signal }).catch(() => undefined);
      signal?.throwIfAborted();
    }
    if (this.pid !== undefined) {
      await this.stop('SIGKILL');
      throw new Error(
        `${this.name} did not answer ${healthz} within ${timeoutMs} ms`,
      );
    }
    const { error, code, signal: killedBy } = await this.#exited;
    if (error)
      throw new Error(`${this.name} could not start: ${error.message}`);
    // The exit can come before the last of its output is read; a child of
    // its own holding stderr open must not hold this up for long.
    await Promise.race([this.#drained, sleep(500)]);
    const said = this.#lastErrors.map((line) => `\n  ${line}`).join('');
    const how = code ?? killedBy;
    throw new Error(
      `${this.name} exited (${how}) before answering ${healthz}${said}`,
    );
  }

  /**
   * Signals the process group (SIGKILL after the grace period if `signal`
   * is not enough) and resolves once the server has exited. Idempotent.
   */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const pid = this.pid;
    if (pid === undefined) return;
    signalGroup(pid, signal);
    const timer = setTimeout(() => {
      this.options.onStopTimeout?.();
      signalGroup(pid, 'SIGKILL');
    }, this.options.stopGraceMs ?? 5_000);
    await this.#exited;
    clearTimeout(timer);
  }
}

/** How many of a server's last stderr lines a failed start shows. */
const LAST_ERROR_LINES = 10;

/**
 * Groups of servers still running: killed if this process exits without
 * stopping them (an uncaught error), since a detached group outlives it.
 * One listener for all of them.
 */
const killOnExit = new Set<number>();
process.on('exit', () => {
  for (const pid of killOnExit) signalGroup(pid, 'SIGKILL');
});

/** One function served by `functions/server.ts <name>`. */
export function functionProcess(
  name: FunctionName,
  options: FunctionProcessOptions,
): ServerProcess {
  return new ServerProcess(name, ['functions/server.ts', name], options);
}
