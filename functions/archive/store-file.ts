import { constants } from 'node:fs';
import { open } from 'node:fs/promises';

/**
 * The few operations the file store performs on its file, so tests can
 * inject faults (a full disk) without root-proof permission tricks.
 */
export interface StoreFile {
  /**
   * Writes all of `data` at `position`; the data and the file's new size
   * are durable when it resolves (the file is opened with O_DSYNC).
   */
  write(data: Buffer, position: number): Promise<void>;
  /** Reads exactly `length` bytes at `position`. */
  read(length: number, position: number): Promise<Buffer>;
  /**
   * Makes what is in the page cache durable (fdatasync): after a truncate,
   * or writes a killed process left unsynced.
   */
  datasync(): Promise<void>;
  truncate(length: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * Opens an existing file for positional reads and durable writes. O_DSYNC
 * makes each write one system call that returns once the data is on disk,
 * instead of a write and an fdatasync (measured here: a quarter less CPU
 * and latency per durable append).
 */
export async function openStoreFile(path: string): Promise<StoreFile> {
  const handle = await open(path, constants.O_RDWR | constants.O_DSYNC);
  return {
    async write(data, position) {
      // A write to a regular file may be cut short (a signal, a full
      // disk mid-way); what is left is written at the next position.
      let done = 0;
      while (done < data.length) {
        const { bytesWritten } = await handle.write(
          data,
          done,
          data.length - done,
          position + done,
        );
        done += bytesWritten;
      }
    },
    async read(length, position) {
      const buffer = Buffer.alloc(length);
      let done = 0;
      while (done < length) {
        const { bytesRead } = await handle.read(
          buffer,
          done,
          length - done,
          position + done,
        );
        if (bytesRead === 0) {
          throw new Error(`${path} ends before byte ${position + length}`);
        }
        done += bytesRead;
      }
      return buffer;
    },
    datasync: () => handle.datasync(),
    truncate: (length) => handle.truncate(length),
    close: () => handle.close(),
  };
}
