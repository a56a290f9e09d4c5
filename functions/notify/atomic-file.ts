import { randomBytes } from 'node:crypto';
import { open, rename } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * Replaces a file's content so that a crash leaves either the old or the
 * new content, never a mix: write a temporary file beside it, fsync it,
 * rename it over the target, then fsync the directory so the rename itself
 * survives a power loss. The file is created readable by its owner only,
 * since it may hold secrets.
 */
export async function writeFileAtomic(
  path: string,
  content: string,
): Promise<void> {
  const dir = dirname(path);
  const tmp = join(
    dir,
    `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`,
  );
  const file = await open(tmp, 'wx', 0o600);
  try {
    await file.writeFile(content, 'utf8');
    await file.sync();
  } finally {
    await file.close();
  }
  await rename(tmp, path);
  await fsyncDirectory(dir);
}

/** Makes a new or renamed directory entry durable. */
export async function fsyncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
