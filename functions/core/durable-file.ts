import { randomBytes } from 'node:crypto';
import { open, rename } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * Makes the entries of directory `dir` (a file created, renamed or removed)
 * survive a power loss; an fsync of the file alone does not.
 */
export async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Replaces a file's content so that readers, and a crash, see the old
 * content or the new, never a mix: a temporary file beside it is written
 * and fsynced, renamed over the target, then the directory is fsynced.
 * `mode` applies to the new file (0600 for files that hold secrets).
 */
export async function replaceFileAtomically(
  path: string,
  content: string | Buffer,
  mode = 0o644,
): Promise<void> {
  const dir = dirname(path);
  const tmp = join(
    dir,
    `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`,
  );
  const file = await open(tmp, 'wx', mode);
  try {
    await file.writeFile(content);
    await file.sync();
  } finally {
    await file.close();
  }
  await rename(tmp, path);
  await syncDirectory(dir);
}
