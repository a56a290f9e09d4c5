import type { ArchivedEntry } from './entry.js';
import type { EntryIndex } from './entry-index.js';
import type { StoreFile } from './store-file.js';

/**
 * Reads the entries at `positions` (ascending) back from the file, one
 * read per run of neighbouring entries, never the whole file.
 */
export async function readEntries(
  file: StoreFile,
  index: EntryIndex,
  positions: readonly number[],
): Promise<ArchivedEntry[]> {
  const items: ArchivedEntry[] = [];
  let run = 0;
  while (run < positions.length) {
    let end = run + 1;
    while (
      end < positions.length &&
      positions[end] === (positions[end - 1] ?? -2) + 1
    ) {
      end++;
    }
    const first = index.span(positions[run] ?? 0);
    const last = index.span(positions[end - 1] ?? 0);
    const bytes = await file.read(
      last.offset + last.length - first.offset,
      first.offset,
    );
    for (let i = run; i < end; i++) {
      const { offset, length } = index.span(positions[i] ?? 0);
      const at = offset - first.offset;
      // Skip the line's leading ' ' or ','. The store wrote these lines
      // (or checked them at start), so they hold entries.
      const text = bytes.toString('utf8', at + 1, at + length);
      items.push(JSON.parse(text) as ArchivedEntry);
    }
    run = end;
  }
  return items;
}
