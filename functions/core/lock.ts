import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { link, readFile, stat, unlink, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** Another live process owns the files this lock guards. */
export class StoreLockedError extends Error {
  override name = 'StoreLockedError';
}

const heldHere = new Set<string>();

/**
 * Takes the lock file at `path` for this process: archive's file store and
 * notify's journals have one writer each, and two processes appending to
 * the same files would interleave and double entries or notifications.
 * The lock holds the owner's pid; a lock whose owner is gone (killed with
 * SIGKILL, say) is taken over. Returns its release.
 *
 * Taking over is a race when several processes start at once: each sees
 * the dead owner, and one could remove the lock another has just made.
 * So a taker first claims the dead owner's lock by creating
 * `<path>.takeover-<pid>` exclusively; only the one that made it removes
 * the lock, and only if it still names that pid. A lock file is never seen
 * half-written: it is written aside, then linked into place.
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
  for (let attempt = 0; attempt < 20; attempt++) {
    if (await createExclusive(path, mine)) {
      heldHere.add(key);
      return async () => {
        heldHere.delete(key);
        const now = await readFile(path, 'utf8').catch(() => '');
        if (now === mine) await unlink(path).catch(() => undefined);
      };
    }
    const seen = await readFile(path, 'utf8').catch(() => undefined);
    if (seen === undefined) continue; // released meanwhile: try again
    const owner = Number.parseInt(seen, 10);
    if (owner > 0 && owner !== process.pid && isAlive(owner)) {
      throw new StoreLockedError(
        `${path}: held by live process ${owner}, which writes these files`,
      );
    }
    const claim = `${path}.takeover-${owner > 0 ? owner : 'unreadable'}`;
    if (!(await createExclusive(claim, mine))) {
      // Another process is taking over; a claim lives milliseconds, so one
      // that is old, or names a process gone or this one (a container
      // restarted with the same pid), is stale and goes.
      if (await isStaleClaim(claim)) await unlink(claim).catch(() => undefined);
      await sleep(20);
      continue;
    }
    try {
      const still = await readFile(path, 'utf8').catch(() => undefined);
      if (still === seen) await unlink(path).catch(() => undefined);
    } finally {
      await unlink(claim).catch(() => undefined);
    }
  }
  throw new StoreLockedError(
    `${path}: could not take the lock (see ${path}.takeover-* beside it)`,
  );
}

/** A claim older than this was left by a taker that did not finish. */
const CLAIM_STALE_MS = 10_000;

async function isStaleClaim(claim: string): Promise<boolean> {
  const taker = Number.parseInt(
    await readFile(claim, 'utf8').catch(() => ''),
    10,
  );
  if (!(taker > 0) || taker === process.pid || !isAlive(taker)) return true;
  const { mtimeMs } = await stat(claim).catch(() => ({ mtimeMs: Date.now() }));
  return Date.now() - mtimeMs > CLAIM_STALE_MS;
}

/**
 * Creates `path` holding `text`, unless it exists: written to a file of
 * its own, then hard-linked into place (atomic, and never seen empty).
 */
async function createExclusive(path: string, text: string): Promise<boolean> {
  const aside = `${path}.${process.pid}.${randomBytes(4).toString('hex')}`;
  try {
    // Inside the try: a write that fails (a full disk) leaves no file.
    await writeFile(aside, text, { flag: 'wx', mode: 0o600 });
    await link(aside, path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    await unlink(aside).catch(() => undefined);
  }
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
