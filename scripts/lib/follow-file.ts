import { open, stat } from 'node:fs/promises';

/** Why a follower started over from the beginning of its file. */
export type Restart = 'truncated' | 'replaced' | 'removed';

/** What one `read()` found. */
export interface FollowRead {
  /** Complete new lines, without their newline, oldest first. */
  lines: string[];
  /** Set when the file was cut, swapped or deleted since the last read. */
  restart?: Restart;
  /** False while the file does not exist. */
  exists: boolean;
}

export interface FollowOptions {
  /**
   * A line for which this is true is not consumed: reading stops before
   * it and it is read again next time. The archive's closing `]` is such
   * a line, since the next append writes over it.
   */
  holdBack?: (line: string) => boolean;
  /** Largest read at once, in bytes (default 4 MiB). */
  chunkBytes?: number;
}

/**
 * Follows a file that grows by appends, as `tail -F` does: it remembers
 * the byte offset up to which it has handed out complete lines, keeps a
 * line without its newline for later, and starts over from the beginning
 * when the file shrinks below that offset (truncated), gets another inode
 * (rotated or replaced) or disappears. A file that does not exist yet is
 * simply empty. Call `read()` as often as you want to poll.
 */
export class FileFollower {
  #offset = 0;
  #inode: number | undefined;

  constructor(
    readonly path: string,
    private readonly options: FollowOptions = {},
  ) {}

  /** The byte offset of the first line not handed out yet. */
  get offset(): number {
    return this.#offset;
  }

  async read(): Promise<FollowRead> {
    let info: Awaited<ReturnType<typeof stat>>;
    try {
      info = await stat(this.path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      const had = this.#inode !== undefined;
      this.#inode = undefined;
      this.#offset = 0;
      return had
        ? { lines: [], restart: 'removed', exists: false }
        : { lines: [], exists: false };
    }
    let restart: Restart | undefined;
    if (this.#inode !== undefined && info.ino !== this.#inode) {
      restart = 'replaced';
    } else if (info.size < this.#offset) {
      restart = 'truncated';
    }
    if (restart) this.#offset = 0;
    this.#inode = info.ino;
    const lines = await this.#readLines(info.size);
    return restart ? { lines, restart, exists: true } : { lines, exists: true };
  }

  async #readLines(size: number): Promise<string[]> {
    const lines: string[] = [];
    if (size <= this.#offset) return lines;
    let chunk = this.options.chunkBytes ?? 4 << 20;
    const handle = await open(this.path, 'r');
    try {
      for (;;) {
        const length = Math.min(size - this.#offset, chunk);
        if (length <= 0) return lines;
        const buffer = Buffer.alloc(length);
        const { bytesRead } = await handle.read(
          buffer,
          0,
          length,
          this.#offset,
        );
        const { consumed, held } = this.#split(
          buffer.subarray(0, bytesRead),
          lines,
        );
        if (held || bytesRead < length) return lines;
        if (consumed === 0) {
          // One line longer than a chunk: read more of it at once.
          if (length < chunk) return lines;
          chunk *= 2;
        }
      }
    } finally {
      await handle.close();
    }
  }

  /**
   * Appends the complete lines of `bytes`, moving the offset past them;
   * `held` is true when a line was held back.
   */
  #split(bytes: Buffer, lines: string[]): { consumed: number; held: boolean } {
    let start = 0;
    let held = false;
    for (;;) {
      const newline = bytes.indexOf(0x0a, start);
      if (newline === -1) break;
      const line = bytes.toString('utf8', start, newline);
      if (this.options.holdBack?.(line)) {
        held = true;
        break;
      }
      lines.push(line);
      start = newline + 1;
    }
    this.#offset += start;
    return { consumed: start, held };
  }
}
