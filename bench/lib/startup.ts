import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort, isPortInUse } from '../../emulator/launcher.js';
import { REPO_ROOT } from '../../scripts/lib/local-run.js';
import { type BenchContext, HOST } from './context.js';
import { type Spread, spread } from './stats.js';

export interface StartupResult {
  /** From spawning `npm start` to its ready banner, in seconds. */
  seconds: Spread;
  /** The emulator's part, as the banner reports it. */
  emulatorSeconds: Spread;
  /** Runs that failed (not ready, or ports left in use), with why. */
  failures: string[];
}

const READY =
  /relais is running \(started in [\d.]+ s, of which the emulator ([\d.]+) s\)/;

/**
 * Time from `npm start` to ready, emulator included: `npm start` is
 * spawned (in a process group of its own) on free ports with a fresh
 * DATA_DIR, timed until it prints its ready banner, then stopped with
 * SIGTERM to its group; its ports must all be free again. The first run
 * warms the disk cache and is discarded.
 */
export async function measureStartup(
  ctx: BenchContext,
  runs: number,
): Promise<StartupResult> {
  const seconds: number[] = [];
  const emulatorSeconds: number[] = [];
  const failures: string[] = [];
  for (let run = 0; run <= runs; run++) {
    ctx.say(
      run === 0
        ? 'startup: warm-up run (discarded)'
        : `startup: run ${run}/${runs}`,
    );
    let timing: Awaited<ReturnType<typeof startOnce>>;
    try {
      timing = await startOnce(ctx, run);
    } catch (err) {
      failures.push(`run ${run}: ${(err as Error).message}`);
      ctx.say(`startup: run ${run} failed: ${(err as Error).message}`);
      continue;
    }
    if (run === 0) continue;
    seconds.push(timing.seconds);
    emulatorSeconds.push(timing.emulatorSeconds);
  }
  return {
    seconds: spread(seconds),
    emulatorSeconds: spread(emulatorSeconds),
    failures,
  };
}

async function startOnce(ctx: BenchContext, run: number) {
  const ports = {
    PUBSUB_EMULATOR_HOST: `${HOST}:${await freePort()}`,
    INGEST_PORT: String(await freePort()),
    ARCHIVE_PORT: String(await freePort()),
    NOTIFY_PORT: String(await freePort()),
  };
  const env = {
    ...process.env,
    ...ports,
    HOST,
    DATA_DIR: await mkdtemp(join(ctx.root, `start-${run}-`)),
  };
  const began = performance.now();
  const child = spawn('npm', ['start', '--silent'], {
    cwd: REPO_ROOT,
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  let match: RegExpExecArray;
  let seconds: number;
  try {
    match = await waitForBanner(child, exited);
    seconds = (performance.now() - began) / 1000;
  } finally {
    if (child.pid !== undefined && child.exitCode === null) {
      process.kill(-child.pid, 'SIGTERM');
    }
    await exited;
  }
  // npm may exit before `scripts/start.ts` has stopped the emulator, whose
  // JVM takes seconds to go on a loaded machine: wait for the ports.
  const deadline = Date.now() + 20_000;
  let left: string[];
  do {
    left = [];
    for (const [name, value] of Object.entries(ports)) {
      const port = Number(value.split(':').pop());
      if (await isPortInUse(HOST, port)) left.push(`${name} ${port}`);
    }
    if (left.length > 0) await sleep(250);
  } while (left.length > 0 && Date.now() < deadline);
  if (left.length > 0) {
    throw new Error(
      `npm start left ports in use 20 s after SIGTERM: ${left.join(', ')}`,
    );
  }
  return { seconds, emulatorSeconds: Number(match[1]) };
}

function waitForBanner(
  child: ChildProcess,
  exited: Promise<number | null>,
): Promise<RegExpExecArray> {
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`npm start not ready in 60 s:\n${output}`)),
      60_000,
    );
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = READY.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match);
      }
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`npm start exited (${code}) before ready:\n${output}`));
    });
  });
}
