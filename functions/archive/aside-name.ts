import { open, rename } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * Makes the directory entries in `dir` (a file created, renamed or
 * removed) survive a power loss; fsync of the file alone does not.
 */
export async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Replaces `path` with `data` atomically: readers see the old file or the
 * new one, never a part of it, also after a crash.
 */
export async function replaceFile(path: string, data: Buffer): Promise<void> {
  const temporary = `${path}.tmp-${process.pid}`;
  const handle = await open(temporary, 'w', 0o644);
  try {
    await handle.writeFile(data);
    await handle.datasync();
  } finally {
    await handle.close();
  }
  await rename(temporary, path);
  await syncDir(dirname(path));
}

/** `webhook_log.json` → `webhook_log.<tag>-2026-12-03T17-00-00Z<ext>`. */
export function asideName(path: string, tag: string, at: Date, ext: string) {
  const stamp = at
    .toISOString()
    .replace(/\.\d{3}Z$/, 'Z')
    .replace(/:/g, '-');
  return `${path.replace(/\.json$/, '')}.${tag}-${stamp}${ext}`;
}
