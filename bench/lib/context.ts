import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { PubSub } from '@google-cloud/pubsub';
import {
  type EmulatorHandle,
  freePort,
  startEmulator,
} from '../../emulator/launcher.js';
import { createPubSub } from '../../functions/core/pubsub.js';
import type { FunctionName } from '../../functions/core/runtime.js';
import { PORT_VARIABLE } from '../../functions/core/runtime.js';
import { ServerProcess } from '../../scripts/lib/function-process.js';
import { REPO_ROOT } from '../../scripts/lib/local-run.js';

export const HOST = '127.0.0.1';
export const PROJECT = 'relais-bench';
export const PUSH_TOKEN = 'bench-push-token-not-a-secret';

/** The local server's entry in each runtime. */
const SERVER: Record<BenchRuntime, string> = {
  compiled: 'dist/functions/server.js',
  tsx: 'functions/server.ts',
};

/**
 * How the functions run: `compiled` is `node dist/functions/server.js`,
 * the JavaScript `npm run build` makes and Cloud Run runs; `tsx` is
 * `node --import tsx functions/server.ts`, as `npm start` runs them.
 */
export type BenchRuntime = 'compiled' | 'tsx';

/** What every measurement shares: one fresh emulator and a scratch dir. */
export interface BenchContext {
  runtime: BenchRuntime;
  emulator: EmulatorHandle;
  pubsub: PubSub;
  /** Removed when the benchmark ends. */
  root: string;
  /** Prints a progress line (stderr). */
  say: (line: string) => void;
  /** Servers started so far, stopped by `close` if still running. */
  processes: Set<ServerProcess>;
  /** Stops every server, then the emulator, and removes `root`. */
  close(): Promise<void>;
}

/**
 * Starts the emulator on a free port, with a client and a temp dir; for
 * the `compiled` runtime, builds the functions first (`npm run build`), so
 * that every benchmark runs today's code.
 */
export async function openContext(
  say: (line: string) => void,
  runtime: BenchRuntime = 'compiled',
): Promise<BenchContext> {
  if (runtime === 'compiled') {
    say('npm run build: the functions run compiled, as deployed');
    await promisify(execFile)('npm', ['run', '--silent', 'build'], {
      cwd: REPO_ROOT,
    });
  }
  const root = await mkdtemp(join(tmpdir(), 'relais-bench-'));
  const emulator = await startEmulator({
    host: HOST,
    port: await freePort(),
    projectId: PROJECT,
  });
  const pubsub = createPubSub({
    projectId: PROJECT,
    emulatorHost: emulator.host,
  });
  const processes = new Set<ServerProcess>();
  return {
    runtime,
    emulator,
    pubsub,
    root,
    say,
    processes,
    async close() {
      await Promise.all([...processes].map((p) => p.stop()));
      await pubsub.close().catch(() => undefined);
      await emulator.stop();
      await rm(root, { recursive: true, force: true });
    },
  };
}

/** A resource id no earlier run used. */
export function uniqueId(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

/**
 * A function process on a free port, against the context's emulator, its
 * output dropped (logs still go through pino at `info`, as in production).
 * `nodeFlags` go to Node before the script (`--cpu-prof`, say).
 */
export async function benchFunction(
  ctx: BenchContext,
  name: FunctionName,
  env: Record<string, string>,
  nodeFlags: readonly string[] = [],
): Promise<ServerProcess> {
  const port = await freePort();
  const variable = PORT_VARIABLE[name];
  const compiled = ctx.runtime === 'compiled';
  const server = new ServerProcess(name, [SERVER[ctx.runtime], name], {
    url: `http://${HOST}:${port}`,
    nodeArgs: compiled ? nodeFlags : [...nodeFlags, '--import', 'tsx'],
    env: {
      PUBSUB_EMULATOR_HOST: ctx.emulator.host,
      PUBSUB_PROJECT_ID: PROJECT,
      HOST,
      PUSH_TOKEN,
      LOG_LEVEL: 'info',
      [variable]: String(port),
      ...env,
    },
  });
  ctx.processes.add(server);
  return server;
}

/** A ceiling server (bench/ceiling-server.ts) on a free port. */
export async function benchCeiling(
  ctx: BenchContext,
  mode: 'http' | 'publish' | 'push',
  env: Record<string, string> = {},
): Promise<ServerProcess> {
  const port = await freePort();
  const server = new ServerProcess(
    `${mode} ceiling`,
    ['bench/ceiling-server.ts', mode, String(port)],
    {
      url: `http://${HOST}:${port}`,
      env: {
        PUBSUB_EMULATOR_HOST: ctx.emulator.host,
        PUBSUB_PROJECT_ID: PROJECT,
        ...env,
      },
    },
  );
  ctx.processes.add(server);
  return server;
}
