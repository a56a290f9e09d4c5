import type { Niveau, PersonnageEvent } from '../core/personnage.js';
import type { ReceivedEvent } from '../core/push-event.js';

/**
 * One line of the archive: the event as published, plus where it came
 * from (`messageId`, `publishTime`, null when the push did not say) and
 * when it was made durable here (`archivedAt`).
 */
export interface ArchivedEntry extends PersonnageEvent {
  messageId: string;
  publishTime: string | null;
  archivedAt: string;
}

/**
 * What `append` did: `archived` (written and durable), `duplicate` (an
 * entry with this event id and this content is already durable), or
 * `conflict` (an entry with this event id but other content is durable;
 * nothing was written).
 */
export type AppendOutcome = 'archived' | 'duplicate' | 'conflict';

/** A page request; `limit` is already validated (1 to 1000). */
export interface ListQuery {
  limit: number;
  /** Opaque; from the previous page's `nextCursor`. */
  cursor?: string | undefined;
  niveau?: Niveau | undefined;
  minScore?: number | undefined;
}

/** Entries in archive order; `nextCursor` is null on the last page. */
export interface Page {
  items: ArchivedEntry[];
  nextCursor: string | null;
}

/**
 * The archive, whatever holds it (a local file now, Firestore later).
 *
 * - `append` resolves only once the entry is durable, and at most one entry
 *   exists per event id, also across restarts and concurrent calls: a
 *   concurrent call for an id being written waits for that write and then
 *   reports `duplicate`. It rejects with `StorageError` when storage fails;
 *   nothing is then recorded for that id, so a retry may write it.
 * - `list` pages in archive order; a bad cursor throws `InvalidCursorError`.
 * - `close` waits for writes in flight, then releases the storage.
 */
export interface ArchiveStore {
  append(entry: ArchivedEntry): Promise<AppendOutcome>;
  list(query: ListQuery): Promise<Page>;
  close(): Promise<void>;
}

/** Storage failed (disk full, permission, I/O): retry later. */
export class StorageError extends Error {
  override name = 'StorageError';
  /** The system error code (`ENOSPC`, `EACCES`...), when there is one. */
  readonly code: string | undefined;

  constructor(message: string, cause?: unknown) {
    super(message, { cause });
    this.code = (cause as NodeJS.ErrnoException | undefined)?.code;
  }
}

/** A cursor this store did not hand out. */
export class InvalidCursorError extends Error {
  override name = 'InvalidCursorError';
}

/** The entry archived for a pushed event, stamped at `archivedAt`. */
export function toEntry(
  received: ReceivedEvent,
  archivedAt: Date,
): ArchivedEntry {
  return {
    ...received.event,
    messageId: received.message.messageId,
    publishTime: received.message.publishTime ?? null,
    archivedAt: archivedAt.toISOString(),
  };
}

/**
 * The content that makes two copies the same event: what the sender said
 * (and what follows from it), nothing the delivery or the archive added.
 * `receivedAt` is left out: a sender's retry of an idempotent request that
 * reaches another ingest instance, or one restarted, is published again
 * with the same id and body but a later `receivedAt`, and is a duplicate.
 */
export function eventContent(entry: Partial<PersonnageEvent>): string {
  return JSON.stringify([
    // An id archived before ids were lower-cased may be upper-case.
    entry.id?.toLowerCase(),
    entry.type,
    entry.nom,
    entry.score,
    entry.niveau,
  ]);
}
