import { EntryIndex } from './entry-index.js';
import { ArchiveBuilder, isRawEntry, type RawEntry } from './layout.js';

/** A damaged archive rebuilt in the layout from what could be read. */
export interface Salvage {
  /** The file holding the valid entries in order, once per event id. */
  file: Buffer;
  /** The index of `file`. */
  index: EntryIndex;
  /** Offset of the closing `]` line in `file`. */
  closeAt: number;
  /** Where the dropped lines (or array items) were, 1-based, ascending. */
  dropped: number[];
  /** Valid entries left out because an earlier one has their event id. */
  repeated: number;
}

/**
 * Reads a file that is not in the layout line by line, loosely: a line is
 * an entry when, without the blanks, commas and brackets around it, it
 * parses as one; its bytes are kept as they are. Lines of those alone
 * carry nothing; any other line is dropped and its number reported.
 */
export function salvageLines(file: Buffer): Salvage {
  const rebuilt = new Rebuilt();
  let line = 0;
  for (let pos = 0; pos < file.length; ) {
    const newline = file.indexOf(0x0a, pos);
    const end = newline === -1 ? file.length : newline;
    line++;
    const found = looseEntry(file, pos, end);
    if (found === 'bad') rebuilt.drop(line);
    else if (found !== 'empty') rebuilt.keep(found.entry, found.json);
    pos = end + 1;
  }
  return rebuilt.done();
}

/** The archive rebuilt from the entries among a JSON array's items. */
export function salvageItems(items: readonly unknown[]): Salvage {
  const rebuilt = new Rebuilt();
  for (const [i, item] of items.entries()) {
    if (isRawEntry(item)) rebuilt.keep(item, Buffer.from(JSON.stringify(item)));
    else rebuilt.drop(i + 1);
  }
  return rebuilt.done();
}

/**
 * Whether any line from `offset` on holds an entry, read as loosely as
 * `salvageLines` reads. A crash tears only the final write, so it never
 * leaves a bad line with a good one after it.
 */
export function entryFollows(file: Buffer, offset: number): boolean {
  for (let pos = offset; pos < file.length; ) {
    const newline = file.indexOf(0x0a, pos);
    const end = newline === -1 ? file.length : newline;
    const found = looseEntry(file, pos, end);
    if (found !== 'bad' && found !== 'empty') return true;
    pos = end + 1;
  }
  return false;
}

type Loose = { entry: RawEntry; json: Buffer } | 'empty' | 'bad';

/** The line `file[start, end)` read loosely. */
function looseEntry(file: Buffer, start: number, end: number): Loose {
  let from = start;
  while (from < end && isFiller(file[from])) from++;
  if (from === end) return 'empty';
  if (file[from] !== 0x7b) return 'bad';
  let to = end;
  while (isFiller(file[to - 1])) to--;
  try {
    const value: unknown = JSON.parse(file.toString('utf8', from, to));
    if (isRawEntry(value))
      return { entry: value, json: file.subarray(from, to) };
  } catch {
    // Not JSON: a bad line like any other.
  }
  return 'bad';
}

/** Blanks, brackets and commas: what a layout puts around entries. */
function isFiller(byte: number | undefined): boolean {
  return (
    byte === 0x20 || // space
    byte === 0x09 || // tab
    byte === 0x0d || // carriage return
    byte === 0x2c || // ,
    byte === 0x5b || // [
    byte === 0x5d // ]
  );
}

/** Collects the entries kept and the places dropped, in file order. */
class Rebuilt {
  #builder = new ArchiveBuilder();
  #index = new EntryIndex();
  #dropped: number[] = [];
  #repeated = 0;

  keep(entry: RawEntry, json: Buffer): void {
    if (this.#index.positionOf(entry.id) !== undefined) {
      this.#repeated++;
      return;
    }
    this.#index.add(entry, this.#builder.add(json));
  }

  drop(where: number): void {
    this.#dropped.push(where);
  }

  done(): Salvage {
    return {
      ...this.#builder.build(),
      index: this.#index,
      dropped: this.#dropped,
      repeated: this.#repeated,
    };
  }
}
