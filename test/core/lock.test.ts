import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readdir, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { acquireLock } from '../../functions/core/lock.js';

const tempDataDir = () => mkdtemp(join(tmpdir(), 'relais-lock-'));
const TAKER = join(import.meta.dirname, 'take-lock.ts');

/**
 * `count` processes try to take the lock at the same instant; each one's
 * answer, once all have answered (the one holding it keeps it till then).
 */
async function contend(path: string, count: number): Promise<string[]> {
  // Far enough ahead for every process to have loaded before it.
  const startAt = Date.now() + 1_500;
  const children = Array.from({ length: count }, () => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', TAKER, path, String(startAt)],
      { stdio: ['pipe', 'pipe', 'inherit'] },
    );
    return { child, exited: once(child, 'exit') };
  });
  try {
    return (
      await Promise.all(
        children.map(async ({ child }) => {
          for await (const line of createInterface({ input: child.stdout })) {
            return line;
          }
          return 'no answer';
        }),
      )
    ).sort();
  } finally {
    for (const { child } of children) child.stdin.end();
    await Promise.all(children.map(({ exited }) => exited));
  }
}

describe('data directory lock', () => {
  it.each([1, 2, 3])(
    'goes to exactly one of several processes taking over a dead owner’s lock at once (round %i)',
    async () => {
      const dir = await tempDataDir();
      const path = join(dir, 'webhook_log.lock');
      // pid 2^22 + 1 is above Linux's pid_max, so it never runs.
      await writeFile(path, '4194305\n');
      const outcomes = await contend(path, 5);
      expect(outcomes).toEqual([
        'held',
        'locked',
        'locked',
        'locked',
        'locked',
      ]);
      // No claim or aside file is left behind; the winner released its lock.
      expect(await readdir(dir)).toEqual([]);
    },
    30_000,
  );

  it('goes to exactly one of several processes when there is no lock yet', async () => {
    const dir = await tempDataDir();
    const outcomes = await contend(join(dir, 'webhook_log.lock'), 5);
    expect(outcomes).toEqual(['held', 'locked', 'locked', 'locked', 'locked']);
  }, 30_000);

  it.each([
    [
      'names this very process (a restart with the same pid)',
      () => process.pid,
      0,
    ],
    ['is old, though it names a live process', () => 1, 60],
  ])(
    'takes over past a claim left behind that %s',
    async (_, taker, ageSeconds) => {
      const dir = await tempDataDir();
      const path = join(dir, 'notify.lock');
      await writeFile(path, '4194305\n');
      const claim = `${path}.takeover-4194305`;
      await writeFile(claim, `${taker()}\n`);
      const then = new Date(Date.now() - ageSeconds * 1000);
      await utimes(claim, then, then);

      const release = await acquireLock(path);

      expect(await readdir(dir)).toEqual(['notify.lock']);
      await release();
      expect(await readdir(dir)).toEqual([]);
    },
  );
});
