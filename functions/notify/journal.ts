import { constants } from 'node:fs';
import { type FileHandle, open, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { syncDirectory } from '../core/durable-file.js';

/**
 * An append-only text file of one record per line. An append resolves once
 * its line is on disk and whole (the file is opened with O_DSYNC, so each
 * write returns durable). Appends that arrive while a write is in flight
 * go together into the next one (group commit), in order. A write that
 * fails, or stops short (a full disk), is cut back off the file before its
 * appends are rejected, so no later line is glued to a fragment.
 */
export interface AppendLog {
  /** The complete lines found when the log was opened, oldest first. */
  readonly lines: readonly string[];
  append(line: string): Promise<void>;
  close(): Promise<void>;
}

interface Waiting {
  line: string;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/** Append-only, created 0600 if absent, each write durable on return. */
const APPEND_DURABLY =
  constants.O_WRONLY |
  constants.O_CREAT |
  constants.O_APPEND |
  constants.O_DSYNC;

/**
 * Opens (creating) an append-only log. A last line cut short by a crash
 * has no newline: it is kept out of `lines` and closed with a newline, so
 * the next record starts on a line of its own.
 */
export async function openAppendLog(path: string): Promise<AppendLog> {
  let text = '';
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const parts = text.split('\n');
  const torn = parts.pop() ?? '';
  const lines = parts.filter((line) => line !== '');

  const handle: FileHandle = await open(path, APPEND_DURABLY, 0o600);
  if (text === '') await syncDirectory(dirname(path));
  if (torn !== '') await writeAll(handle, Buffer.from('\n'));
  // Where the last whole line ends: what a failed write is cut back to.
  let end = (await handle.stat()).size;
  let cutPending = false;

  let queue: Waiting[] = [];
  let flushing: Promise<void> | undefined;
  const flush = async (): Promise<void> => {
    while (queue.length > 0) {
      const batch = queue;
      queue = [];
      const bytes = Buffer.from(batch.map((w) => `${w.line}\n`).join(''));
      try {
        // A cut that failed before is tried again before anything else.
        if (cutPending) await cutBack(handle, end);
        cutPending = false;
        await writeAll(handle, bytes);
        end += bytes.length;
        for (const w of batch) w.resolve();
      } catch (err) {
        // A failed write fails its own lines only; later appends still run,
        // after what it left of its lines is cut off.
        cutPending = await cutBack(handle, end).then(
          () => false,
          () => true,
        );
        for (const w of batch) w.reject(err);
      }
    }
    flushing = undefined;
  };

  return {
    lines,
    append(line) {
      if (line.includes('\n')) {
        return Promise.reject(new Error('a log record must be one line'));
      }
      const done = new Promise<void>((resolve, reject) => {
        queue.push({ line, resolve, reject });
      });
      flushing ??= flush();
      return done;
    },
    async close() {
      await flushing;
      await handle.close();
    },
  };
}

/**
 * Writes all of `bytes` at the end of the file: a write may stop short
 * (a full disk, a file size limit) without an error; the rest is written
 * again, and a write that makes no progress is an error.
 */
async function writeAll(handle: FileHandle, bytes: Buffer): Promise<void> {
  let offset = 0;
  while (offset < bytes.length) {
    const { bytesWritten } = await handle.write(bytes, offset);
    if (bytesWritten === 0) {
      throw Object.assign(new Error('the disk took none of the bytes'), {
        code: 'EIO',
      });
    }
    offset += bytesWritten;
  }
}

/** Cuts the file back to `size` bytes, durably. */
async function cutBack(handle: FileHandle, size: number): Promise<void> {
  await handle.truncate(size);
  await handle.datasync();
}

/**
 * The durable record of which subscriber has acknowledged which event:
 * `deliveries.jsonl`, one `{"eventId","subscriberId","at"}` per line,
 * appended after the subscriber answered 2xx and read back at start.
 */
export class DeliveryJournal {
  private readonly done = new Set<string>();

  private constructor(private readonly log: AppendLog) {
    for (const line of log.lines) {
      try {
        const record = JSON.parse(line) as Record<string, unknown>;
        const { eventId, subscriberId } = record;
        if (typeof eventId === 'string' && typeof subscriberId === 'string') {
          this.done.add(key(eventId, subscriberId));
        }
      } catch {
        // A line that is not JSON was not written by us; it records nothing.
      }
    }
  }

  static async open(path: string): Promise<DeliveryJournal> {
    return new DeliveryJournal(await openAppendLog(path));
  }

  has(eventId: string, subscriberId: string): boolean {
    return this.done.has(key(eventId, subscriberId));
  }

  async record(eventId: string, subscriberId: string, at: Date): Promise<void> {
    const line = JSON.stringify({
      eventId,
      subscriberId,
      at: at.toISOString(),
    });
    await this.log.append(line);
    this.done.add(key(eventId, subscriberId));
  }

  close(): Promise<void> {
    return this.log.close();
  }
}

/** Ids compare without case: older lines may spell one in upper case. */
function key(eventId: string, subscriberId: string): string {
  return `${eventId.toLowerCase()} ${subscriberId}`;
}
