import { parseArchiveLine } from './archive-file.js';
import { clock } from './event-line.js';

/** Which file a line comes from. */
export type TailSource = 'archive' | 'notify';

/** A line of either file, decoded; undefined for lines that are no event. */
export type TailRecord = Record<string, unknown> & { source: TailSource };

/**
 * The archive's closing line. The next append writes over it, so a
 * follower must not read past it (see functions/archive/layout.ts).
 */
export function isArchiveClose(line: string): boolean {
  return line === ']';
}

/**
 * Decodes one line: an archive entry line (` {...}` or `,{...}`), or a
 * notification line (`<time> <eventId> <sentence>`, as notify writes
 * them). Anything else is undefined and not shown.
 */
export function parseTailLine(
  source: TailSource,
  line: string,
): TailRecord | undefined {
  if (source === 'archive') {
    const entry = parseArchiveLine(line);
    return entry ? { source, ...entry } : undefined;
  }
  const match = /^(\S+) (\S+) (.+)$/.exec(line);
  if (!match) return undefined;
  const [, notifiedAt = '', eventId = '', message = ''] = match;
  return { source, notifiedAt, eventId, message };
}

/** A value as one line of terminal text: control characters escaped. */
function text(value: unknown): string {
  if (typeof value !== 'string' && typeof value !== 'number') return '?';
  return String(value).replace(
    /\p{Cc}/gu,
    (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** Milliseconds from one ISO time to another, or undefined. */
function elapsed(from: unknown, to: unknown): number | undefined {
  if (typeof from !== 'string' || typeof to !== 'string') return undefined;
  const ms = Date.parse(to) - Date.parse(from);
  return Number.isFinite(ms) ? ms : undefined;
}

/**
 * One readable line per event, the time first (UTC):
 *
 *     17:41:40.755 archive  Naruto · 85 expert · +63 ms · 1b9d6bcd
 *     17:41:40.801 notify   Personnage ajouté avec succès : Naruto (expert) · 1b9d6bcd
 *
 * `+63 ms` is the time from ingest's receipt to the archive's write.
 */
export function formatTailRecord(record: TailRecord): string {
  const shortId = text(record.id ?? record.eventId).slice(0, 8);
  if (record.source === 'notify') {
    return `${clock(text(record.notifiedAt))} notify   ${text(record.message)} · ${shortId}`;
  }
  const delay = elapsed(record.receivedAt, record.archivedAt);
  return [
    `${clock(text(record.archivedAt))} archive  ${text(record.nom)}`,
    `${text(record.score)} ${text(record.niveau)}`,
    ...(delay === undefined ? [] : [`+${delay} ms`]),
    shortId,
  ].join(' · ');
}
