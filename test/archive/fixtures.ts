import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ArchivedEntry } from '../../functions/archive/entry.js';
import { ARCHIVE_FILE } from '../../functions/archive/file-store.js';
import { createLogger, type Logger } from '../../functions/core/log.js';
import { toEvent } from '../../functions/core/personnage.js';
import { defer } from '../harness/index.js';

export const PUSH_TOKEN = 'archive-test-token-0123456789';

/** A fresh DATA_DIR, removed when the test finishes. */
export async function tempDataDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'relais-archive-'));
  defer(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** The archive file of `dir`. */
export const archivePath = (dir: string) => join(dir, ARCHIVE_FILE);

/** Parses the archive file with plain JSON.parse, as any tool would. */
export async function readArchive(dir: string): Promise<ArchivedEntry[]> {
  const value: unknown = JSON.parse(await readFile(archivePath(dir), 'utf8'));
  if (!Array.isArray(value)) throw new Error('the archive is not an array');
  return value as ArchivedEntry[];
}

/** An archived entry; `n` sets its score (n % 101) and its name. */
export function entry(n: number, id = randomUUID()): ArchivedEntry {
  const event = toEvent(
    { nom: `Personnage ${n}`, score: n % 101 },
    id,
    new Date(Date.UTC(2026, 0, 1, 0, 0, n % 60)),
  );
  return {
    ...event,
    messageId: String(1000 + n),
    publishTime: '2026-01-01T00:00:00.000Z',
    archivedAt: '2026-01-01T00:00:01.000Z',
  };
}

/** A logger whose lines are kept, parsed, in `lines`. */
export function captureLog(): {
  log: Logger;
  lines: Record<string, unknown>[];
} {
  const lines: Record<string, unknown>[] = [];
  const log = createLogger({
    service: 'archive',
    level: 'debug',
    destination: {
      write(line: string) {
        lines.push(JSON.parse(line) as Record<string, unknown>);
      },
    },
  });
  return { log, lines };
}

/** A push body as the emulator sends it, carrying `data` (JSON-encoded). */
export function pushBody(
  data: unknown,
  messageId = '1',
  attributes: Record<string, string> = {},
): string {
  return JSON.stringify({
    subscription: 'projects/relais-test/subscriptions/archive',
    message: {
      data: Buffer.from(
        typeof data === 'string' ? data : JSON.stringify(data),
      ).toString('base64'),
      attributes: { eventType: 'personnage.created', ...attributes },
      messageId,
      message_id: messageId,
      publishTime: '2026-12-03T17:13:52.027Z',
    },
  });
}
