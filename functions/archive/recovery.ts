import { access, readFile, rename, writeFile } from 'node:fs/promises';
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
  type RawEntry,
  renderArchive,
  type Scan,
  scanArchive,
} from './layout.js';
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
 * - a torn tail (a write cut short by a crash) within the last batch's
 *   reach: cut off, saved to `<name>.torn-<time>.txt`, `]` restored;
 * - a valid JSON array of entries in another layout: rewritten atomically;
 * - anything else: moved to `<name>.corrupt-<time>.json`, archive empty.
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
  if (array) {
    const rendered = renderArchive(array);
    await replaceFileAtomically(path, rendered);
    log.warn(
      { path, entries: array.length },
      'rewrote a hand-written archive into the store layout',
    );
    return indexOf(rendered, log);
  }

  const { scan } = found;
  if (scan.kind === 'open' && file.length - scan.cutAt <= MAX_BATCH_BYTES) {
    await repairTail(path, file, scan.cutAt, scan.count, log, now());
    // The entries before the cut are exactly those the scan indexed.
    return { index: found.index, closeAt: scan.cutAt };
  }

  const aside = await freeName(path, 'corrupt', now(), '.json');
  await rename(path, aside);
  await writeFile(path, EMPTY_ARCHIVE, { flag: 'wx', mode: 0o644 });
  await syncDirectory(dirname(path));
  log.error(
    { path, movedTo: aside, bytes: file.length },
    `${path} is not a JSON array of entries: moved to ${aside}; ` +
      'the archive starts empty',
  );
  return indexOf(EMPTY_ARCHIVE, log);
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

async function repairTail(
  path: string,
  file: Buffer,
  cutAt: number,
  kept: number,
  log: Logger,
  at: Date,
): Promise<void> {
  const dropped = file.subarray(cutAt);
  // A tail of NULs and blanks (a power loss after the size grew) holds
  // nothing; anything else is kept beside the archive for a human.
  const savedTo = /[^\s\0\]]/.test(dropped.toString('latin1'))
    ? await freeName(path, 'torn', at, '.txt')
    : undefined;
  if (savedTo) {
    await writeFile(savedTo, dropped, { flag: 'wx', mode: 0o644 });
  }
  const handle = await openStoreFile(path);
  try {
    await handle.truncate(cutAt);
    await handle.write(CLOSE, cutAt);
    await handle.datasync();
  } finally {
    await handle.close();
  }
  log.warn(
    { path, cutAt, droppedBytes: dropped.length, keptEntries: kept, savedTo },
    `repaired a torn tail: cut ${dropped.length} bytes after entry ` +
      `${kept} and restored the closing bracket`,
  );
}

const BLANK = new Set([0x20, 0x09, 0x0a, 0x0d]);

function isBlank(file: Buffer): boolean {
  return file.every((byte) => BLANK.has(byte));
}

function parseArray(file: Buffer): RawEntry[] | undefined {
  // Only a file ending in `]` can be an array; a torn archive ends in the
  // middle of a line, and parsing all of it just to fail is slow.
  let last = file.length - 1;
  while (last > 0 && BLANK.has(file[last] ?? 0)) last--;
  if (file[last] !== 0x5d) return undefined;
  try {
    const value: unknown = JSON.parse(file.toString('utf8'));
    return Array.isArray(value) && value.every(isRawEntry) ? value : undefined;
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
