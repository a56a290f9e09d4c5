import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { syncDirectory } from '../core/durable-file.js';
import { acquireLock } from '../core/lock.js';
import type { Logger } from '../core/log.js';
import {
  type AppendOutcome,
  type ArchivedEntry,
  type ArchiveStore,
  eventContent,
  type ListQuery,
  type Page,
  StorageError,
} from './entry.js';
import type { EntryIndex } from './entry-index.js';
import { CLOSE, entryLine, MAX_BATCH_BYTES } from './layout.js';
import { readEntries } from './read-lines.js';
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
    const now = options.now ?? (() => new Date());
    const { index, closeAt } = await loadArchive(path, log, now);
    const raw = await openStoreFile(path);
    const file = options.wrapFile ? options.wrapFile(raw) : raw;
    // A process killed after a write but before its sync leaves entries in
    // the page cache only; they count as archived from now on (dedupe), so
    // they are made durable before anything is acknowledged on their behalf.
    await file.datasync();
    await syncDirectory(dir);
    log.info({ path, entries: index.count }, 'archive open');
    return new FileArchiveStore(file, index, closeAt, release);
  } catch (err) {
    await release();
    throw err;
  }
}

interface Pending {
  entry: ArchivedEntry;
  resolve: () => void;
  reject: (err: StorageError) => void;
}

/**
 * Appends by group commit: entries that arrive while a durable write is
 * in flight go together into the next one, so concurrent
 * pushes share a sync and the cost per event does not grow with the file.
 * Each batch is one positional write over the closing `]\n`.
 */
class FileArchiveStore implements ArchiveStore {
  readonly #queue: Pending[] = [];
  /** Appends written but not yet durable, by event id, with content. */
  readonly #inflight = new Map<
    string,
    { content: string; done: Promise<void> }
  >();
  #draining: Promise<void> | undefined;
  /** A failed batch could not be undone; undo it before the next write. */
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
    const content = eventContent(entry);
    const position = this.index.positionOf(entry.id);
    if (position !== undefined) {
      const [archived] = await this.#read([position]);
      return eventContent(archived ?? {}) === content
        ? 'duplicate'
        : 'conflict';
    }
    const inflight = this.#inflight.get(entry.id);
    if (inflight) {
      await inflight.done;
      return inflight.content === content ? 'duplicate' : 'conflict';
    }
    const done = new Promise<void>((resolve, reject) => {
      this.#queue.push({ entry, resolve, reject });
    });
    this.#inflight.set(entry.id, { content, done });
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
    return { items: await this.#read(positions), nextCursor };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#draining;
    await this.file.close();
    await this.release();
  }

  async #read(positions: number[]): Promise<ArchivedEntry[]> {
    try {
      return await readEntries(this.file, this.index, positions);
    } catch (cause) {
      throw new StorageError(
        `could not read the archive: ${(cause as Error).message}`,
        cause,
      );
    }
  }

  async #drain(): Promise<void> {
    while (this.#queue.length > 0) {
      const batch: Pending[] = [];
      const lines: Buffer[] = [];
      let bytes = 0;
      while (this.#queue.length > 0) {
        const next = this.#queue[0] as Pending;
        const line = entryLine(next.entry, this.index.count + batch.length);
        if (batch.length > 0 && bytes + line.length > MAX_BATCH_BYTES) break;
        batch.push(next);
        lines.push(line);
        bytes += line.length;
        this.#queue.shift();
      }
      await this.#commit(batch, lines);
    }
    this.#draining = undefined;
  }

  async #commit(batch: Pending[], lines: Buffer[]): Promise<void> {
    try {
      if (this.#damaged) await this.#restoreClose();
      await this.file.write(Buffer.concat([...lines, CLOSE]), this.closeAt);
    } catch (cause) {
      const error = new StorageError(
        `could not write the archive: ${(cause as Error).message}`,
        cause,
      );
      // Undo the batch so that file and index agree: a redelivery then
      // writes these entries again instead of finding some of them.
      this.#damaged = true;
      await this.#restoreClose().catch(() => undefined);
      for (const pending of batch) pending.reject(error);
      return;
    }
    let offset = this.closeAt;
    for (const [i, pending] of batch.entries()) {
      const length = (lines[i] as Buffer).length;
      this.index.add(pending.entry, { offset, length: length - 1 });
      offset += length;
    }
    this.closeAt = offset;
    for (const pending of batch) pending.resolve();
  }

  async #restoreClose(): Promise<void> {
    // The close first, then the cut: if the write fails (a full disk),
    // the file still ends as it did instead of losing its `]`.
    await this.file.write(CLOSE, this.closeAt);
    await this.file.truncate(this.closeAt + CLOSE.length);
    await this.file.datasync();
    this.#damaged = false;
  }
}
