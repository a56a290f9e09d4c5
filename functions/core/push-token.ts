import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Config } from './config.js';

/** Where the local push token is kept, so launcher and functions agree. */
export function pushTokenPath(dataDir: string): string {
  return join(dataDir, '.push-token');
}

/**
 * The secret that local push endpoints require in their `token` query
 * parameter (the emulator sends no OIDC token). `PUSH_TOKEN` wins; otherwise
 * the token in `DATA_DIR/.push-token`, created on first use (mode 0600) by
 * whichever process comes first: the emulator launcher or a function.
 */
export async function resolvePushToken(
  config: Pick<Config, 'pushToken' | 'dataDir'>,
): Promise<string> {
  if (config.pushToken) return config.pushToken;
  const path = pushTokenPath(config.dataDir);
  await mkdir(config.dataDir, { recursive: true });
  const fresh = randomBytes(24).toString('base64url');
  try {
    await writeFile(path, `${fresh}\n`, { flag: 'wx', mode: 0o600 });
    return fresh;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const existing = (await readFile(path, 'utf8')).trim();
  if (!/^[A-Za-z0-9_-]{16,128}$/.test(existing)) {
    throw new Error(`${path} does not hold a valid push token; delete it`);
  }
  return existing;
}
