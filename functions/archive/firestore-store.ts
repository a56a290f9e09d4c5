import {
  type CollectionReference,
  type DocumentData,
  FieldPath,
  FieldValue,
  Firestore,
  type Query,
  Timestamp,
} from '@google-cloud/firestore';
import type { Logger } from '../core/log.js';
import {
  type AppendOutcome,
  type ArchivedEntry,
  type ArchiveStore,
  eventContent,
  InvalidCursorError,
  type ListQuery,
  type Page,
  StorageError,
} from './entry.js';

export interface FirestoreStoreOptions {
  projectId: string;
  collection: string;
  /** `host:port` of the Firestore emulator; real Firestore when unset. */
  emulatorHost?: string | undefined;
  log: Logger;
  /** Upper bound on one Firestore call (default 10 s). */
  timeoutMs?: number;
}

const ALREADY_EXISTS = 6;

/**
 * Opens the archive in a Firestore collection: one document per event, its
 * id the event id. Firestore keeps it across instances and restarts, which
 * a Cloud Run instance's disk does not.
 * https://cloud.google.com/firestore/docs/manage-data/add-data#set_a_document
 */
export function openFirestoreStore(
  options: FirestoreStoreOptions,
): ArchiveStore {
  const firestore = new Firestore({
    projectId: options.projectId,
    ...(options.emulatorHost ? { host: options.emulatorHost, ssl: false } : {}),
  });
  options.log.info(
    { collection: options.collection, emulator: options.emulatorHost },
    'archive on Firestore',
  );
  return new FirestoreArchiveStore(
    firestore,
    firestore.collection(options.collection),
    options.timeoutMs ?? 10_000,
  );
}

/**
 * Dedupe comes from `create`, which fails with ALREADY_EXISTS when the
 * event id is taken, atomically, across every instance. Archive order is
 * the commit time Firestore stamps on each document (`storedAt`), ties
 * broken by document id; `archivedAt` (the archive's clock, before the
 * write) is kept as data only.
 */
class FirestoreArchiveStore implements ArchiveStore {
  #closed = false;
  /** Calls under way, each settling by its timeout at the latest. */
  readonly #inflight = new Set<Promise<unknown>>();

  constructor(
    private readonly firestore: Firestore,
    private readonly entries: CollectionReference,
    private readonly timeoutMs: number,
  ) {}

  async append(entry: ArchivedEntry): Promise<AppendOutcome> {
    if (this.#closed) throw new StorageError('the archive is closed');
    const doc = this.entries.doc(entry.id);
    try {
      await this.#call(
        'write',
        doc.create({
          ...toData(entry),
          storedAt: FieldValue.serverTimestamp(),
        }),
      );
      return 'archived';
    } catch (err) {
      if (grpcCode(err) !== ALREADY_EXISTS) throw storageError('write', err);
    }
    const snapshot = await this.#call('read', doc.get()).catch((err) => {
      throw storageError('read', err);
    });
    const archived = snapshot.data() ?? {};
    return eventContent(archived) === eventContent(entry)
      ? 'duplicate'
      : 'conflict';
  }

  async list(query: ListQuery): Promise<Page> {
    let q: Query = this.entries;
    if (query.niveau !== undefined) q = q.where('niveau', '==', query.niveau);
    if (query.minScore !== undefined) {
      q = q.where('score', '>=', query.minScore);
    }
    // Firestore orders by an inequality field right after the explicit
    // ones, so `score` is named before the id; `storedAt` decides first.
    q = q.orderBy('storedAt').orderBy('score').orderBy(FieldPath.documentId());
    if (query.cursor !== undefined) {
      const { storedAt, score, id } = decodeCursor(query.cursor);
      q = q.startAfter(storedAt, score, id);
    }
    // One more than asked tells whether a next page exists.
    const snapshot = await this.#call(
      'read',
      q.limit(query.limit + 1).get(),
    ).catch((err) => {
      throw storageError('read', err);
    });
    const docs = snapshot.docs.slice(0, query.limit);
    const last = docs.at(-1);
    const more = snapshot.docs.length > query.limit && last !== undefined;
    return {
      items: docs.map((d) => fromData(d.data())),
      nextCursor: more
        ? encodeCursor(
            last.get('storedAt') as Timestamp,
            last.get('score') as number,
            last.id,
          )
        : null,
    };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.allSettled(this.#inflight);
    // terminate() waits for calls the client still retries in the
    // background (Firestore unreachable); do not hold a shutdown on them.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.firestore.terminate(),
      new Promise((resolve) => {
        timer = setTimeout(resolve, this.timeoutMs);
      }),
    ]);
    clearTimeout(timer);
  }

  /** Bounds a call: an unreachable Firestore retries for minutes. */
  async #call<T>(what: string, promise: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new StorageError(
              `Firestore ${what}: no answer within ${this.timeoutMs} ms`,
            ),
          ),
        this.timeoutMs,
      );
    });
    const bounded = Promise.race([promise, timeout]);
    this.#inflight.add(bounded);
    try {
      return await bounded;
    } finally {
      clearTimeout(timer);
      this.#inflight.delete(bounded);
    }
  }
}

function toData(entry: ArchivedEntry): DocumentData {
  return {
    id: entry.id,
    type: entry.type,
    nom: entry.nom,
    score: entry.score,
    niveau: entry.niveau,
    receivedAt: entry.receivedAt,
    messageId: entry.messageId,
    publishTime: entry.publishTime,
    archivedAt: entry.archivedAt,
  };
}

function fromData(data: DocumentData): ArchivedEntry {
  const { storedAt: _, ...entry } = data;
  return toData(entry as ArchivedEntry) as ArchivedEntry;
}

// A cursor names the last entry of the page by its sort key: commit time
// (seconds and nanoseconds), score and id.
function encodeCursor(storedAt: Timestamp, score: number, id: string) {
  const text = `${storedAt.seconds}.${storedAt.nanoseconds}.${score}.${id}`;
  return Buffer.from(text).toString('base64url');
}

function decodeCursor(cursor: string) {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const match = /^(\d{1,12})\.(\d{1,9})\.(\d{1,3})\.([A-Za-z0-9-]{1,64})$/.exec(
    text,
  );
  if (!match || Buffer.from(text).toString('base64url') !== cursor) {
    throw new InvalidCursorError('not a cursor from this archive');
  }
  return {
    storedAt: new Timestamp(Number(match[1]), Number(match[2])),
    score: Number(match[3]),
    id: match[4] as string,
  };
}

function grpcCode(err: unknown): number | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
}

function storageError(what: string, err: unknown): StorageError {
  if (err instanceof StorageError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new StorageError(`Firestore ${what} failed: ${message}`, {
    code: `GRPC_${grpcCode(err) ?? 'UNKNOWN'}`,
    cause: err,
  });
}
