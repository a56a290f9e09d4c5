/**
 * The file layout of the archive: a JSON array with one entry per line,
 *
 *     [
 *      {"id":"a",...}
 *     ,{"id":"b",...}
 *     ]
 *
 * so the file parses as JSON between any two writes, and appending is one
 * positional write over the closing `]\n`: `,{...}\n]\n`.
 */

import type { LineSpan } from './entry-index.js';

/** A fresh, empty archive. */
export const EMPTY_ARCHIVE = Buffer.from('[\n]\n');

/**
 * The most one group commit writes past the closing line (one entry more
 * when a single entry is larger). A bad tail shorter than this can be what
 * a crash mid-write left; a longer one is not, so it is not cut off.
 */
export const MAX_BATCH_BYTES = 1 << 20;

/** What follows the last entry. */
export const CLOSE = Buffer.from(']\n');

/** Where the first entry line starts. */
export const FIRST_LINE_OFFSET = 2;

/** An entry as the layout holds it: an object with a string id. */
export type RawEntry = { id: string } & Record<string, unknown>;

/** The line of the entry at `position` (0 for the first), with newline. */
export function entryLine(entry: object, position: number): Buffer {
  return Buffer.from(`${position === 0 ? ' ' : ','}${JSON.stringify(entry)}\n`);
}

/** The whole file for `entries`, in this layout. */
export function renderArchive(entries: readonly object[]): Buffer {
  return Buffer.concat([
    Buffer.from('[\n'),
    ...entries.map((entry, i) => entryLine(entry, i)),
    CLOSE,
  ]);
}

/**
 * Builds a file in this layout from entries already in JSON (one line
 * each, no newline), saying where each line goes as it is added, so the
 * caller can index the entries without parsing the result again.
 */
export class ArchiveBuilder {
  #jsons: Buffer[] = [];
  #size = FIRST_LINE_OFFSET;

  /** Queues the next entry; returns its line's span in the file. */
  add(json: Buffer): LineSpan {
    const span = { offset: this.#size, length: 1 + json.length };
    this.#jsons.push(json);
    this.#size += span.length + 1;
    return span;
  }

  /** The file, and the offset of its closing `]` line. */
  build(): { file: Buffer; closeAt: number } {
    const file = Buffer.allocUnsafe(this.#size + CLOSE.length);
    let at = file.write('[\n', 0, 'latin1');
    for (const [i, json] of this.#jsons.entries()) {
      file[at++] = i === 0 ? 0x20 : 0x2c;
      at += json.copy(file, at);
      file[at++] = 0x0a;
    }
    CLOSE.copy(file, at);
    return { file, closeAt: at };
  }
}

/** A JSON value that an archive may hold as an entry. */
export function isRawEntry(value: unknown): value is RawEntry {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    typeof (value as { id?: unknown }).id === 'string' &&
    (value as { id: string }).id !== ''
  );
}

/**
 * How a file read against the layout:
 * - `clean`: every line is in place; `closeAt` is the offset of `]`.
 * - `open`: good lines up to `cutAt`, then something else or nothing (no
 *   closing line), which is what a write cut short leaves.
 * - `foreign`: not this layout at all.
 */
export type Scan =
  | { kind: 'clean'; closeAt: number; count: number }
  | { kind: 'open'; cutAt: number; count: number }
  | { kind: 'foreign' };

/**
 * Reads `file` line by line, calling `visit` for each entry in order. It
 * never throws on bad content: it says where the layout stops holding.
 */
export function scanArchive(
  file: Buffer,
  visit: (entry: RawEntry, offset: number, length: number) => void,
): Scan {
  if (file.length < 2 || file[0] !== 0x5b || file[1] !== 0x0a) {
    return { kind: 'foreign' };
  }
  let pos = FIRST_LINE_OFFSET;
  let count = 0;
  while (pos < file.length) {
    const newline = file.indexOf(0x0a, pos);
    const end = newline === -1 ? file.length : newline;
    if (file[pos] === 0x5d && end === pos + 1) {
      const rest = file.subarray(end).toString('latin1');
      return rest.trim() === ''
        ? { kind: 'clean', closeAt: pos, count }
        : { kind: 'open', cutAt: pos, count };
    }
    const entry =
      newline !== -1 && file[pos] === (count === 0 ? 0x20 : 0x2c)
        ? parseEntry(file.toString('utf8', pos + 1, end))
        : undefined;
    if (!entry) return { kind: 'open', cutAt: pos, count };
    visit(entry, pos, end - pos);
    count++;
    pos = newline + 1;
  }
  return { kind: 'open', cutAt: pos, count };
}

function parseEntry(text: string): RawEntry | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return isRawEntry(value) ? value : undefined;
  } catch {
    return undefined;
  }
}
