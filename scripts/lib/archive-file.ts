import { readFile } from 'node:fs/promises';
import { scanArchive } from '../../functions/archive/layout.js';
import {
  type PersonnageEvent,
  personnageEvent,
} from '../../functions/core/personnage.js';

/** The events an archive file holds, in archive order. */
export interface ArchivedEvents {
  events: PersonnageEvent[];
  /** Entries that are not personnage events (kept out of `events`). */
  skipped: number;
}

/**
 * Reads `webhook_log.json` as the archive writes it, line by line, so a
 * read that overlaps an append still yields every complete entry (a plain
 * `JSON.parse` of the file would fail on the half-written tail). Each
 * entry is reduced to the event ingest published: what archive added
 * (`messageId`, `publishTime`, `archivedAt`) is dropped.
 */
export async function readArchivedEvents(
  path: string,
): Promise<ArchivedEvents> {
  let file: Buffer;
  try {
    file = await readFile(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error(
        `no archive at ${path}; set DATA_DIR (or --file) to archive's one`,
      );
    }
    throw err;
  }
  const events: PersonnageEvent[] = [];
  let skipped = 0;
  const scan = scanArchive(file, (entry) => {
    const parsed = personnageEvent.safeParse(entry);
    if (parsed.success) events.push(parsed.data);
    else skipped++;
  });
  if (scan.kind === 'foreign' && file.length > 0) {
    throw new Error(`${path} is not an archive written by relais`);
  }
  return { events, skipped };
}

/**
 * One line of the archive file as an entry, or undefined for the
 * brackets, a blank or a line that is not an entry. Lines start with ' '
 * (the first entry) or ',' (the others); see functions/archive/layout.ts.
 */
export function parseArchiveLine(
  line: string,
): Record<string, unknown> | undefined {
  if (!/^[ ,]\{/.test(line)) return undefined;
  try {
    const value: unknown = JSON.parse(line.slice(1));
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}
