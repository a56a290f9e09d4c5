import { open } from 'node:fs/promises';

/**
 * The few operations the file store performs on its file, so tests can
 * inject faults (a full disk) without root-proof permission tricks.
 */
export interface StoreFile {
  /** Writes all of `data` at `position`. */
  write(data: Buffer, position: number): Promise<void>;
  /** Reads exactly `length` bytes at `position`. */
  read(length: number, position: number): Promise<Buffer>;
  /** Makes written data and the file's size durable (fdatasync). */
  datasync(): Promise<void>;
  truncate(length: number): Promise<void>;
  close(): Promise<void>;
}

/** Opens an existing file for positional reads and writes. */
export async function openStoreFile(path: string): Promise<StoreFile> {
  const handle = await open(path, 'r+');
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
