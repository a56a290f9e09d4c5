import { setTimeout as sleep } from 'node:timers/promises';

/** How a child process ended, as its 'exit' event tells it. */
export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** True while any process of group `pgid` exists. */
export function isGroupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Signals every process of group `pgid`; a group already gone is fine. */
export function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}

/**
 * A stop function for group `pgid`: SIGTERM, SIGKILL after `graceMs`,
 * resolved once no process of the group is left. Idempotent.
 */
export function groupStopper(
  pgid: number,
  exited: Promise<unknown>,
  graceMs: number,
): () => Promise<void> {
  let stopping: Promise<void> | undefined;
  return () => {
    stopping ??= (async () => {
      signalGroup(pgid, 'SIGTERM');
      if (await groupGone(pgid, exited, graceMs)) return;
      signalGroup(pgid, 'SIGKILL');
      if (await groupGone(pgid, exited, 3_000)) return;
      throw new Error(`processes of group ${pgid} survived SIGKILL`);
    })();
    return stopping;
  };
}

/**
 * Waits until no process of the group is left. The leader counts until
 * Node reaps it, so its exit is awaited first, then the rest of the group
 * (a Java child of the gcloud wrapper, for instance).
 */
async function groupGone(
  pgid: number,
  exited: Promise<unknown>,
  timeoutMs: number,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  await Promise.race([exited, sleep(timeoutMs)]);
  while (isGroupAlive(pgid)) {
    if (Date.now() >= deadline) return false;
    await sleep(50);
  }
  return true;
}
