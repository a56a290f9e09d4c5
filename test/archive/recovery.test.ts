import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ArchivedEntry } from '../../functions/archive/entry.js';
import { openFileStore } from '../../functions/archive/file-store.js';
import {
  MAX_BATCH_BYTES,
  renderArchive,
} from '../../functions/archive/layout.js';
import { defer } from '../harness/index.js';
import {
  archivePath,
  captureLog,
  entry,
  readArchive,
  tempDataDir,
} from './fixtures.js';

const NOW = new Date('2026-12-03T17:00:00.000Z');
const CORRUPT = 'webhook_log.corrupt-2026-12-03T17-00-00Z.json';

/** The size of the archive in the review that found the bug. */
const LARGE = 8_635;
let large: ArchivedEntry[] | undefined;
const largeEntries = () => {
  large ??= Array.from({ length: LARGE }, (_, i) => entry(i));
  return large;
};

async function openWithLog(dir: string) {
  const { log, lines } = captureLog();
  const store = await openFileStore({ dir, log, now: () => NOW });
  defer(() => store.close());
  return { store, lines };
}

/** The archive file's lines; `lines[k + 1]` holds entry k. */
const layoutLines = (entries: readonly ArchivedEntry[]) =>
  renderArchive(entries).toString('utf8').split('\n');

/** Replaces the byte at `at` of a line with `#`. */
const breakByte = (line: string, at: number) =>
  `${line.slice(0, at)}#${line.slice(at + 1)}`;

interface SalvageCase {
  name: string;
  entries: () => ArchivedEntry[];
  /** Damages the file's lines in place. */
  damage: (lines: string[]) => void;
  /** The entries the archive keeps, by position in `entries`. */
  kept: (entries: ArchivedEntry[]) => ArchivedEntry[];
  /** 1-based numbers of the lines dropped. */
  droppedAt: number[];
  /** An entry after the damage, which dedupe must know. */
  after: (entries: ArchivedEntry[]) => ArchivedEntry;
}

const five = () => [1, 2, 3, 4, 5].map((n) => entry(n));
const without = (i: number) => (entries: ArchivedEntry[]) =>
  entries.filter((_, j) => j !== i);
const all = (entries: ArchivedEntry[]) => entries;

const salvageCases: SalvageCase[] = [
  {
    name: 'a broken byte in entry 4,000 of 8,635, far from the end',
    entries: largeEntries,
    damage: (lines) => {
      const line = lines[4000] ?? '';
      lines[4000] = breakByte(line, line.length - 1);
    },
    kept: without(3999),
    droppedAt: [4001],
    after: (entries) => entries[4000] as ArchivedEntry,
  },
  {
    name: 'a broken first byte of entry 8,001 of 8,635, within the last MiB',
    entries: largeEntries,
    damage: (lines) => {
      lines[8001] = breakByte(lines[8001] ?? '', 0);
      const tail = lines.slice(8001).join('\n');
      expect(Buffer.byteLength(tail)).toBeLessThan(MAX_BATCH_BYTES);
    },
    kept: without(8000),
    droppedAt: [8002],
    after: (entries) => entries[LARGE - 1] as ArchivedEntry,
  },
  {
    name: 'NULs of a lost page before entries that reached the disk',
    entries: five,
    damage: (lines) => {
      lines[3] = '\0'.repeat(lines[3]?.length ?? 0);
    },
    kept: without(2),
    droppedAt: [4],
    after: (entries) => entries[4] as ArchivedEntry,
  },
  {
    name: 'a garbage line between two entries',
    entries: five,
    damage: (lines) => {
      lines.splice(3, 0, 'garbage');
    },
    kept: all,
    droppedAt: [4],
    after: (entries) => entries[2] as ArchivedEntry,
  },
  {
    name: 'a missing opening bracket',
    entries: five,
    damage: (lines) => {
      lines.shift();
    },
    kept: all,
    droppedAt: [],
    after: (entries) => entries[0] as ArchivedEntry,
  },
  {
    name: 'a bad line followed by an entry that repeats an event id',
    entries: () => {
      const [a, b, c] = five();
      return [a, b, c, { ...a, nom: 'Autre' }] as ArchivedEntry[];
    },
    damage: (lines) => {
      lines[2] = breakByte(lines[2] ?? '', 5);
    },
    kept: (entries) => [entries[0], entries[2]] as ArchivedEntry[],
    droppedAt: [3],
    after: (entries) => entries[2] as ArchivedEntry,
  },
  {
    name: 'a last entry that lost its newline and the closing bracket',
    entries: five,
    damage: (lines) => {
      lines.splice(-2);
    },
    kept: all,
    droppedAt: [],
    after: (entries) => entries[4] as ArchivedEntry,
  },
];

describe('file store salvaging a damaged archive', () => {
  it.each(salvageCases)(
    'keeps every other entry of $name and the original beside it',
    async ({ entries: make, damage, kept, droppedAt, after }) => {
      const dir = await tempDataDir();
      const entries = make();
      const lines = layoutLines(entries);
      damage(lines);
      const original = lines.join('\n');
      await writeFile(archivePath(dir), original);

      const { store, lines: logged } = await openWithLog(dir);

      const expected = kept(entries);
      expect(await readArchive(dir)).toEqual(expected);
      expect(await readFile(join(dir, CORRUPT), 'utf8')).toBe(original);
      const errors = logged.filter((l) => l.severity === 'ERROR');
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatchObject({
        path: archivePath(dir),
        movedTo: join(dir, CORRUPT),
        keptEntries: expected.length,
        dropped: droppedAt.length,
        droppedAt,
      });
      expect(errors[0]?.message).toContain(join(dir, CORRUPT));
      expect(logged.some((l) => l.severity === 'WARNING')).toBe(false);

      const page = await store.list({ limit: 3 });
      expect(page.items).toEqual(expected.slice(0, 3));
      expect(await store.append({ ...after(entries), messageId: 'x' })).toBe(
        'duplicate',
      );
      const next = entry(9_999);
      expect(await store.append(next)).toBe('archived');
      expect(await readArchive(dir)).toEqual([...expected, next]);
    },
  );

  it('keeps the entries of a JSON array that also holds other items', async () => {
    const dir = await tempDataDir();
    const [a, b] = [entry(1), entry(2)];
    await writeFile(archivePath(dir), JSON.stringify([a, 7, b, { id: '' }]));

    const { store, lines } = await openWithLog(dir);

    expect(await readArchive(dir)).toEqual([a, b]);
    expect(lines.find((l) => l.severity === 'ERROR')).toMatchObject({
      keptEntries: 2,
      dropped: 2,
      droppedAt: [2, 4],
    });
    expect(await store.append(b)).toBe('duplicate');
  });

  it('lists at most 20 dropped line numbers, and counts them all', async () => {
    const dir = await tempDataDir();
    const entries = five();
    const lines = layoutLines(entries);
    lines.splice(2, 0, ...Array.from({ length: 25 }, (_, i) => `junk ${i}`));
    await writeFile(archivePath(dir), lines.join('\n'));

    const { lines: logged } = await openWithLog(dir);

    const error = logged.find((l) => l.severity === 'ERROR');
    expect(error).toMatchObject({ dropped: 25, keptEntries: 5 });
    expect(error?.droppedAt).toEqual(
      Array.from({ length: 20 }, (_, i) => i + 3),
    );
    expect(await readArchive(dir)).toEqual(entries);
  });
});

describe('file store cutting a torn tail', () => {
  it.each([
    ['a torn final line after 8,635 entries', largeEntries, ',{"id":"to'],
    ['a torn line then NULs and blank lines', five, ',{"id"\0\0\n\0\n\n'],
    ['a torn line and a stray closing bracket', five, ',{"id":"x",\n]\n'],
  ])('cuts only %s', async (_, make, tail) => {
    const dir = await tempDataDir();
    const entries = make();
    const intact = renderArchive(entries).subarray(0, -2).toString('utf8');
    await writeFile(archivePath(dir), intact + tail);

    const { store, lines } = await openWithLog(dir);

    expect(await readArchive(dir)).toEqual(entries);
    const warning = lines.find((l) => l.severity === 'WARNING');
    expect(warning?.message).toMatch(/repaired a torn tail/);
    expect(await readFile(warning?.savedTo as string, 'utf8')).toBe(tail);
    expect(lines.some((l) => l.severity === 'ERROR')).toBe(false);
    expect((await readdir(dir)).some((f) => f.includes('corrupt'))).toBe(false);
    expect(await store.append(entries[0] as ArchivedEntry)).toBe('duplicate');
  });

  it('finishes an undo that a crash cut short, keeping no refused entry', async () => {
    // A batch failed; its undo wrote the close over the batch's start and
    // the process died before cutting the rest: two refused entries follow.
    const dir = await tempDataDir();
    const entries = [1, 2, 3, 4, 5, 6, 7].map((n) => entry(n));
    const kept = entries.slice(0, 5);
    const refused = `${layoutLines(entries).slice(6, 8).join('\n')}\n]\n`;
    const intact = renderArchive(kept).subarray(0, -2).toString('utf8');
    await writeFile(archivePath(dir), `${intact}]\n${refused.slice(2)}`);

    const { store, lines } = await openWithLog(dir);

    expect(await readArchive(dir)).toEqual(kept);
    expect(lines.some((l) => l.severity === 'ERROR')).toBe(false);
    expect((await readdir(dir)).some((f) => f.includes('corrupt'))).toBe(false);
    const warning = lines.find((l) => l.severity === 'WARNING');
    expect(warning?.message).toMatch(/interrupted undo/);
    expect(await readFile(warning?.savedTo as string, 'utf8')).toBe(
      `]\n${refused.slice(2)}`,
    );
    // Refused with a 503, they were never archived: redelivered, they are.
    expect(await store.append(entries[5] as ArchivedEntry)).toBe('archived');
    expect(await store.append(entries[6] as ArchivedEntry)).toBe('archived');
    expect(await readArchive(dir)).toEqual(entries);
  });

  it('salvages entries typed or joined after the close, with an ERROR', async () => {
    const dir = await tempDataDir();
    const [a, b, c] = [1, 2, 3].map((n) => entry(n));
    const joined = Buffer.concat([
      renderArchive([a as ArchivedEntry]),
      renderArchive([b as ArchivedEntry, c as ArchivedEntry]),
    ]);
    await writeFile(archivePath(dir), joined);

    const { lines } = await openWithLog(dir);

    expect(await readArchive(dir)).toEqual([a, b, c]);
    expect(lines.some((l) => /interrupted undo/.test(String(l.message)))).toBe(
      false,
    );
    expect(lines.some((l) => l.severity === 'ERROR')).toBe(true);
    expect(await readdir(dir)).toContain(CORRUPT);
  });

  it('restores a missing closing bracket in place, dropping nothing', async () => {
    const dir = await tempDataDir();
    const entries = five();
    const intact = renderArchive(entries).subarray(0, -2);
    await writeFile(archivePath(dir), intact);

    const { store, lines } = await openWithLog(dir);

    expect(await readArchive(dir)).toEqual(entries);
    expect(lines.find((l) => l.severity === 'WARNING')).toMatchObject({
      droppedBytes: 0,
      keptEntries: 5,
    });
    expect(lines.some((l) => l.severity === 'ERROR')).toBe(false);
    expect(await store.append(entries[4] as ArchivedEntry)).toBe('duplicate');
  });
});
