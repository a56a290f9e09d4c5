import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../core/log.js';
import { syncDir } from './durable.js';
import {
  type AppendOutcome,
  type ArchivedEntry,
  type ArchiveStore,
  eventContent,
  type ListQuery,
  type Page,
  StorageError,
} from './entry.js';
import { type EntryIndex, fingerprint } from './entry-index.js';
import { CLOSE, entryLine, MAX_BATCH_BYTES } from './layout.js';
import { acquireLock } from './lock.js';
import { loadArchive } from './recovery.js';
import { openStoreFile, type StoreFile } from './store-file.js';

/** The archive's file name inside `DATA_DIR`. */
export const ARCHIVE_FILE = 'webhook_log.json';

export interface FileStoreOptions {
  dir: string;
  log: Logger;
  now?: () => Date;
  /** Wraps the file handle; tests inject faults through it. */
  wrapFile?: (file: StoreFile) => StoreFile;
}

interface Pending {
  entry: ArchivedEntry;
  print: number;
  resolve: () => void;
  reject: (err: StorageError) => void;
}

/**
 * Opens the archive in `dir/webhook_log.json` as its only writer (a lock
 * file holds the owner's pid): repairs what a crash or a hand left (see
 * `loadArchive`), makes it durable, and indexes it in memory.
 */
export async function openFileStore(
  options: FileStoreOptions,
): Promise<ArchiveStore> {
  const { dir, log } = options;
  await mkdir(dir, { recursive: true });
  const path = join(dir, ARCHIVE_FILE);
  const release = await acquireLock(join(dir, 'webhook_log.lock'));
  try {
    const loaded = await loadArchive(
      path,
      log,
      options.now ?? (() => new Date()),
    );
    const raw = await openStoreFile(path);
    const file = options.wrapFile ? options.wrapFile(raw) : raw;
    // A process killed after writing but before its sync leaves entries in
    // the page cache only; they count as archived from now on (dedupe), so
    // make them durable before anything is acknowledged on their behalf.
    await file.datasync();
    await syncDir(dir);
    log.info(
      { path, entries: loaded.index.count },
      `archive open with ${loaded.index.count} entries`,
    );
    return new FileArchiveStore(file, loaded.index, loaded.closeAt, release);
  } catch (err) {
    await release();
    throw err;
  }
}

/**
 * Appends by group commit: entries that arrive while a write and its
 * fdatasync are in flight are written together by the next one, so the
 * cost per event does not grow with the file and concurrent pushes share
 * one sync. Each batch is one positional write over the closing `]\n`.
 */
class FileArchiveStore implements ArchiveStore {
  readonly #queue: Pending[] = [];
  readonly #inflight = new Map<
    string,
    { print: number; done: Promise<void> }
  >();
  #draining: Promise<void> | undefined;
  /** Set when a failed batch could not be undone; retried before writing. */
  #damaged = false;
  #closed = false;

  constructor(
    private readonly file: StoreFile,
    private readonly index: EntryIndex,
    private closeAt: number,
    private readonly release: () => Promise<void>,
  ) {}

  async append(entry: ArchivedEntry): Promise<AppendOutcome> {
    if (this.#closed) throw new StorageError('the archive is closed');
    const print = fingerprint(eventContent(entry));
    const known = this.index.fingerprintOf(entry.id);
    if (known !== undefined) return known === print ? 'duplicate' : 'conflict';
    const inflight = this.#inflight.get(entry.id);
    if (inflight) {
      await inflight.done;
      return inflight.print === print ? 'duplicate' : 'conflict';
    }
    const done = new Promise<void>((resolve, reject) => {
      this.#queue.push({ entry, print, resolve, reject });
    });
    this.#inflight.set(entry.id, { print, done });
    this.#draining ??= this.#drain();
    try {
      await done;
      return 'archived';
    } finally {
      this.#inflight.delete(entry.id);
    }
  }

  async list(query: ListQuery): Promise<Page> {
    const { positions, nextCursor } = this.index.page(
      query.cursor,
      query.limit,
      query,
    );
    const items: ArchivedEntry[] = [];
    // Contiguous entries are read with one read.
    for (let run = 0; run < positions.length; ) {
      let end = run + 1;
      while (
        end < positions.length &&
        positions[end] === (positions[end - 1] ?? 0) + 1
      )
        end++;
      const first = this.index.span(positions[run] ?? 0);
      const last = this.index.span(positions[end - 1] ?? 0);
      const bytes = await this.file.read(
        last.offset + last.length - first.offset,
        first.offset,
      );
      for (let i = run; i < end; i++) {
        const { offset, length } = this.index.span(positions[i] ?? 0);
        const at = offset - first.offset;
        // The store wrote and indexed these lines itself.
        items.push(
          JSON.parse(
            bytes.toString('utf8', at + 1, at + length),
          ) as ArchivedEntry,
        );
      }
      run = end;
    }
    return { items, nextCursor };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#draining;
    await this.file.close();
    await this.release();
  }

  async #drain(): Promise<void> {
    while (this.#queue.length > 0) {
      await this.#commit(this.#takeBatch());
    }
    this.#draining = undefined;
  }

  #takeBatch(): { batch: Pending[]; lines: Buffer[] } {
    const batch: Pending[] = [];
    const lines: Buffer[] = [];
    let bytes = 0;
    let position = this.index.count;
    while (this.#queue.length > 0) {
      const line = entryLine((this.#queue[0] as Pending).entry, position);
      if (batch.length > 0 && bytes + line.length > MAX_BATCH_BYTES) break;
      batch.push(this.#queue.shift() as Pending);
      lines.push(line);
      bytes += line.length;
      position++;
    }
    return { batch, lines };
  }

  async #commit({ batch, lines }: { batch: Pending[]; lines: Buffer[] }) {
    try {
      if (this.#damaged) await this.#restoreClose();
      await this.file.write(Buffer.concat([...lines, CLOSE]), this.closeAt);
      await this.file.datasync();
    } catch (cause) {
      const error = new StorageError(
        `could not write the archive: ${(cause as Error).message}`,
        cause,
      );
      // Undo the batch so the file and the index agree; a redelivery then
      // writes these entries again instead of finding half of them.
      this.#damaged = true;
      await this.#restoreClose().catch(() => undefined);
      for (const pending of batch) pending.reject(error);
      return;
    }
    let offset = this.closeAt;
    for (const [i, pending] of batch.entries()) {
      const length = (lines[i] as Buffer).length;
      this.index.add(pending.entry, pending.print, {
        offset,
        length: length - 1,
      });
      offset += length;
    }
    this.closeAt = offset;
    for (const pending of batch) pending.resolve();
  }

  async #restoreClose(): Promise<void> {
    await this.file.truncate(this.closeAt);
    await this.file.write(CLOSE, this.closeAt);
    await this.file.datasync();
    this.#damaged = false;
  }
}
