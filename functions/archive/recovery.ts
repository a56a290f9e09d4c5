import { access, open, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { replaceFileAtomically, syncDirectory } from '../core/durable-file.js';
import type { Logger } from '../core/log.js';
import { asideName } from './aside-name.js';
import { EntryIndex } from './entry-index.js';
import {
  CLOSE,
  EMPTY_ARCHIVE,
  isRawEntry,
  MAX_BATCH_BYTES,
  renderArchive,
  type Scan,
  scanArchive,
} from './layout.js';
import {
  entryFollows,
  type Salvage,
  salvageItems,
  salvageLines,
} from './salvage.js';
import { openStoreFile } from './store-file.js';

/** The archive as found at start, in the layout, with its index. */
export interface LoadedArchive {
  index: EntryIndex;
  /** Offset of the closing `]` line, where the next append writes. */
  closeAt: number;
}

/**
 * Brings the file at `path` into the layout, whatever a crash or a hand
 * left there, and indexes it. Every repair is logged; nothing is dropped
 * without being kept in a file beside it:
 *
 * - missing, empty or blank: an empty archive;
 * - a torn tail (bad lines at the very end, no entry after them, within
 *   the last batch's reach, as a write cut short by a crash leaves):
 *   cut off, saved to `<name>.torn-<time>.txt`, `]` restored;
 * - a `]` line followed by at most a batch's bytes (a crash inside the
 *   undo of a refused batch): what follows is cut and saved the same way;
 * - a valid JSON array of entries in another layout: rewritten atomically;
 * - anything else (damage with entries after it, a missing `[`): kept
 *   as found in `<name>.corrupt-<time>.json`, and the archive rewritten
 *   atomically with every entry that still parses, the first of each
 *   event id only (none at all: an empty archive); one ERROR says where.
 */
export async function loadArchive(
  path: string,
  log: Logger,
  now: () => Date,
): Promise<LoadedArchive> {
  let file: Buffer;
  try {
    file = await readFile(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    await replaceFileAtomically(path, EMPTY_ARCHIVE);
    log.info({ path }, 'created an empty archive');
    return indexOf(EMPTY_ARCHIVE, log);
  }
  if (isBlank(file)) {
    await replaceFileAtomically(path, EMPTY_ARCHIVE);
    log.info({ path }, 'the archive file was empty: an empty archive');
    return indexOf(EMPTY_ARCHIVE, log);
  }

  const found = indexOf(file, log);
  if (found.scan.kind === 'clean') return found;

  const array = parseArray(file);
  if (array?.every(isRawEntry)) {
    const rendered = renderArchive(array);
    await replaceFileAtomically(path, rendered);
    log.warn(
      { path, entries: array.length },
      'rewrote a hand-written archive into the store layout',
    );
    return indexOf(rendered, log);
  }

  const { scan } = found;
  if (
    scan.kind === 'open' &&
    isCloseLine(file, scan.cutAt) &&
    startsMidLine(file, scan.cutAt + CLOSE.length) &&
    file.length - scan.cutAt <= CLOSE.length + MAX_BATCH_BYTES
  ) {
    // A close line, then at most a batch's bytes starting in the middle of
    // a line: an undo (the close written over the first two bytes of a
    // refused batch) cut short before its truncate. What follows was
    // refused with a 503, never archived: it goes aside. Whole lines after
    // a close (two archives joined, entries typed after it) are salvaged
    // below instead.
    await repairTail(path, file, scan.cutAt, scan.count, log, now(), 'undo');
    return { index: found.index, closeAt: scan.cutAt };
  }
  if (
    scan.kind === 'open' &&
    file.length - scan.cutAt <= MAX_BATCH_BYTES &&
    !entryFollows(file, scan.cutAt)
  ) {
    await repairTail(path, file, scan.cutAt, scan.count, log, now());
    // The entries before the cut are exactly those the scan indexed.
    return { index: found.index, closeAt: scan.cutAt };
  }

  const salvaged = array ? salvageItems(array) : salvageLines(file);
  return salvage(path, file, salvaged, array ? 'item' : 'line', log, now());
}

/**
 * Keeps `file` as found beside `path`, then replaces `path` with the
 * salvaged entries. The original is copied, not renamed: at every instant
 * `path` holds the old content or the new, so a crash here cannot leave a
 * missing file that the next start would take for an empty archive.
 */
async function salvage(
  path: string,
  file: Buffer,
  { file: rebuilt, index, closeAt, dropped, repeated }: Salvage,
  unit: 'line' | 'item',
  log: Logger,
  at: Date,
): Promise<LoadedArchive> {
  const aside = await freeName(path, 'corrupt', at, '.json');
  await writeAside(aside, file);
  // Also makes the copy's directory entry durable: both share `dirname`.
  await replaceFileAtomically(path, rebuilt);

  const fields = {
    path,
    movedTo: aside,
    bytes: file.length,
    keptEntries: index.count,
    dropped: dropped.length,
    droppedAt: dropped.slice(0, LISTED),
    repeated,
  };
  if (index.count === 0) {
    log.error(
      fields,
      `${path} is not a JSON array of entries: moved to ${aside}; ` +
        'the archive starts empty',
    );
  } else {
    log.error(
      fields,
      `${path} is damaged: moved to ${aside}; the archive keeps its ` +
        `${index.count} valid entries, dropped ` +
        `${countOf(dropped, unit)}` +
        (repeated > 0 ? ` and ${repeated} repeated event ids` : ''),
    );
  }
  return { index, closeAt };
}

/** How many dropped line (or item) numbers a log line lists. */
const LISTED = 20;

/** `3 lines (7, 12, 40)`, the list cut at LISTED. */
function countOf(dropped: readonly number[], unit: string): string {
  const noun = `${dropped.length} ${unit}${dropped.length === 1 ? '' : 's'}`;
  if (dropped.length === 0) return noun;
  const more = dropped.length > LISTED ? ', …' : '';
  return `${noun} (${dropped.slice(0, LISTED).join(', ')}${more})`;
}

/** Indexes the entries of a file in the layout up to where it stops. */
function indexOf(file: Buffer, log: Logger): LoadedArchive & { scan: Scan } {
  const index = new EntryIndex();
  let repeated = 0;
  const scan = scanArchive(file, (entry, offset, length) => {
    if (!index.add(entry, { offset, length })) repeated++;
  });
  if (repeated > 0) {
    log.warn(
      { repeated },
      'some entries repeat an earlier event id; all are kept as found',
    );
  }
  return { index, closeAt: scan.kind === 'clean' ? scan.closeAt : -1, scan };
}

/**
 * True when the bytes at `at` are not the start of a line of the layout
 * (`[`, `]`, an entry's ` {` or `,{`, or a blank).
 */
function startsMidLine(file: Buffer, at: number): boolean {
  const first = file[at];
  return (
    first !== undefined && !' \t\r\n,[]{'.includes(String.fromCharCode(first))
  );
}

/** Writes `bytes` to a new file at `path`, synced before it returns. */
async function writeAside(path: string, bytes: Buffer): Promise<void> {
  const copy = await open(path, 'wx', 0o644);
  try {
    await copy.writeFile(bytes);
    await copy.sync();
  } finally {
    await copy.close();
  }
}

/** True when a line `]` starts at `at`. */
function isCloseLine(file: Buffer, at: number): boolean {
  return file.subarray(at, at + CLOSE.length).equals(CLOSE);
}

async function repairTail(
  path: string,
  file: Buffer,
  cutAt: number,
  kept: number,
  log: Logger,
  at: Date,
  cause: 'torn' | 'undo' = 'torn',
): Promise<void> {
  const dropped = file.subarray(cutAt);
  // A tail of NULs and blanks (a power loss after the size grew) holds
  // nothing; anything else is kept beside the archive for a human.
  const savedTo = /[^\s\0\]]/.test(dropped.toString('latin1'))
    ? await freeName(path, 'torn', at, '.txt')
    : undefined;
  if (savedTo) {
    // On disk before the cut: a power loss must not keep the cut and lose
    // the bytes it set aside.
    await writeAside(savedTo, dropped);
    await syncDirectory(dirname(path));
  }
  const handle = await openStoreFile(path);
  try {
    await handle.truncate(cutAt);
    await handle.write(CLOSE, cutAt);
  } finally {
    await handle.close();
  }
  log.warn(
    { path, cutAt, droppedBytes: dropped.length, keptEntries: kept, savedTo },
    cause === 'undo'
      ? `finished an interrupted undo: cut ${dropped.length} bytes of a ` +
          `refused batch after entry ${kept}`
      : `repaired a torn tail: cut ${dropped.length} bytes after entry ` +
          `${kept} and restored the closing bracket`,
  );
}

const BLANK = new Set([0x20, 0x09, 0x0a, 0x0d]);

function isBlank(file: Buffer): boolean {
  return file.every((byte) => BLANK.has(byte));
}

function parseArray(file: Buffer): unknown[] | undefined {
  // Only a file ending in `]` can be an array; a torn archive ends in the
  // middle of a line, and parsing all of it just to fail is slow.
  let last = file.length - 1;
  while (last > 0 && BLANK.has(file[last] ?? 0)) last--;
  if (file[last] !== 0x5d) return undefined;
  try {
    const value: unknown = JSON.parse(file.toString('utf8'));
    return Array.isArray(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

async function freeName(path: string, tag: string, at: Date, ext: string) {
  const base = asideName(path, tag, at, '');
  for (let n = 0; ; n++) {
    const candidate = `${base}${n === 0 ? '' : `-${n}`}${ext}`;
    try {
      await access(candidate);
    } catch {
      return candidate;
    }
  }
}
