import { readFileSync } from 'node:fs';
import { readFile, unlink, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';

/** Another live process owns the archive file. */
export class StoreLockedError extends Error {
  override name = 'StoreLockedError';
}

const heldHere = new Set<string>();

/**
 * Takes the lock file at `path` for this process: the file store has one
 * writer, and two processes appending to the same file would interleave
 * and double entries. The lock holds the owner's pid; a lock whose owner
 * is gone (killed with SIGKILL, say) is taken over. Returns its release.
 *
 * A pid reused by an unrelated live process makes the lock look held:
 * start-up then fails naming the pid, and the file can be deleted by hand.
 */
export async function acquireLock(path: string): Promise<() => Promise<void>> {
  const key = resolve(path);
  if (heldHere.has(key)) {
    throw new StoreLockedError(`${path} is already held by this process`);
  }
  const mine = `${process.pid}\n`;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      await writeFile(path, mine, { flag: 'wx', mode: 0o600 });
      heldHere.add(key);
      return async () => {
        heldHere.delete(key);
        const now = await readFile(path, 'utf8').catch(() => '');
        if (now === mine) await unlink(path).catch(() => undefined);
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const owner = Number.parseInt(
      await readFile(path, 'utf8').catch(() => ''),
      10,
    );
    if (owner > 0 && owner !== process.pid && isAlive(owner)) {
      throw new StoreLockedError(
        `${path}: the archive is owned by live process ${owner}`,
      );
    }
    await unlink(path).catch(() => undefined);
  }
  throw new StoreLockedError(`${path}: could not take the lock`);
}

/** True when `pid` runs; a zombie (killed, not yet reaped) does not. */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== 'ENOENT';
  }
}
