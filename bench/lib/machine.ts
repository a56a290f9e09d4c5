import { execFile } from 'node:child_process';
import { readdir, realpath } from 'node:fs/promises';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** What the figures were measured on. */
export interface Machine {
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  node: string;
  emulator: string;
  os: string;
  /** The repository's commit, with `+dirty` when the tree had changes. */
  commit: string;
  /** 1-minute load average when the benchmark started and ended. */
  loadAverage: { start: number; end?: number };
}

export async function describeMachine(): Promise<Machine> {
  const cpu = cpus();
  return {
    cpuModel: cpu[0]?.model.trim() ?? 'unknown',
    cores: cpu.length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    emulator: await emulatorVersion(),
    os: `${process.platform} ${(await text('uname', ['-r'])) || ''}`.trim(),
    commit: await commit(),
    loadAverage: { start: loadavg()[0] ?? 0 },
  };
}

/** The emulator's jar version, from the gcloud SDK that holds it. */
async function emulatorVersion(): Promise<string> {
  try {
    const gcloud = await realpath(
      await text('sh', ['-c', 'command -v gcloud']),
    );
    const lib = join(dirname(dirname(gcloud)), 'platform/pubsub-emulator/lib');
    const jar = (await readdir(lib)).find((f) => f.endsWith('.jar')) ?? '';
    const version = /(\d+\.\d+\.\d+)/.exec(jar)?.[1] ?? 'unknown';
    const sdk = /Google Cloud SDK ([\d.]+)/.exec(
      await text('gcloud', ['version']),
    )?.[1];
    return `cloud-pubsub-emulator ${version}${sdk ? ` (gcloud ${sdk})` : ''}`;
  } catch {
    return 'unknown';
  }
}

async function commit(): Promise<string> {
  const head = await text('git', ['rev-parse', '--short', 'HEAD']);
  const dirty = await text('git', ['status', '--porcelain']);
  return `${head}${dirty ? '+dirty' : ''}`;
}

async function text(file: string, args: string[]): Promise<string> {
  try {
    return (await run(file, args, { timeout: 20_000 })).stdout.trim();
  } catch {
    return '';
  }
}
