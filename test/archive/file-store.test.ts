import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { StorageError } from '../../functions/archive/entry.js';
import { openFileStore } from '../../functions/archive/file-store.js';
import { renderArchive } from '../../functions/archive/layout.js';
import type { StoreFile } from '../../functions/archive/store-file.js';
import { StoreLockedError } from '../../functions/core/lock.js';
import { silentLogger } from '../../functions/core/log.js';
import { defer } from '../harness/index.js';
import {
  archivePath,
  captureLog,
  entry,
  readArchive,
  tempDataDir,
} from './fixtures.js';
import { describeArchiveStore } from './store-contract.js';

const NOW = new Date('2026-12-03T17:00:00.000Z');

async function open(
  dir: string,
  log = silentLogger,
  wrapFile?: (f: StoreFile) => StoreFile,
) {
  const store = await openFileStore({ dir, log, now: () => NOW, wrapFile });
  defer(() => store.close());
  return store;
}

describeArchiveStore('file store', async () => open(await tempDataDir()));

describe('file store on disk', () => {
  it('keeps the file a JSON array after every append', async () => {
    const dir = await tempDataDir();
    const store = await open(dir);
    expect(await readArchive(dir)).toEqual([]);

    const entries = [entry(1), entry(2), entry(3)];
    for (const [i, e] of entries.entries()) {
      await store.append(e);
      expect(await readArchive(dir)).toEqual(entries.slice(0, i + 1));
    }
    expect(await readFile(archivePath(dir), 'utf8')).toBe(
      `[\n ${JSON.stringify(entries[0])}\n,${JSON.stringify(entries[1])}\n` +
        `,${JSON.stringify(entries[2])}\n]\n`,
    );
  });

  it('keeps dedupe and order across a restart', async () => {
    const dir = await tempDataDir();
    const first = await open(dir);
    const a = entry(1);
    await first.append(a);
    await first.close();

    const second = await open(dir);
    const b = entry(2);

    expect(await second.append({ ...a, messageId: 'redelivered' })).toBe(
      'duplicate',
    );
    expect(await second.append(b)).toBe('archived');
    expect(await readArchive(dir)).toEqual([a, b]);
    expect((await second.list({ limit: 10 })).items).toEqual([a, b]);
  });

  it('fails to open when DATA_DIR is a file, naming the path', async () => {
    const dir = await tempDataDir();
    const notADir = join(dir, 'file');
    await writeFile(notADir, '');

    await expect(
      openFileStore({ dir: notADir, log: silentLogger }),
    ).rejects.toThrow(notADir);
  });

  it('refuses a second store on the same directory', async () => {
    const dir = await tempDataDir();
    await open(dir);

    await expect(openFileStore({ dir, log: silentLogger })).rejects.toThrow(
      StoreLockedError,
    );
  });

  it('knows an event its file spells in upper case', async () => {
    const dir = await tempDataDir();
    const first = entry(1);
    await writeFile(
      archivePath(dir),
      renderArchive([{ ...first, id: first.id.toUpperCase() }]),
    );

    const store = await open(dir);

    expect(await store.append(first)).toBe('duplicate');
    expect(await readArchive(dir)).toHaveLength(1);
  });

  it('takes over the lock of a process that is gone', async () => {
    const dir = await tempDataDir();
    // pid 2^22 + 1 is above Linux's pid_max, so it never runs.
    await writeFile(join(dir, 'webhook_log.lock'), '4194305\n');

    const store = await open(dir);

    expect(await store.append(entry(1))).toBe('archived');
  });

  it('answers a storage error and leaves no trace of the failed batch', async () => {
    const dir = await tempDataDir();
    let failing = false;
    // Every durable write fails (the batch's, and the undo's) while
    // `failing`: a full disk.
    const store = await open(dir, silentLogger, (file) => ({
      ...file,
      write: (data, position) =>
        failing
          ? Promise.reject(
              Object.assign(new Error('no space left'), { code: 'ENOSPC' }),
            )
          : file.write(data, position),
    }));
    const a = entry(1);
    const b = entry(2);
    await store.append(a);

    failing = true;
    const failure = await store.append(b).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(StorageError);
    expect((failure as StorageError).code).toBe('ENOSPC');
    expect(await readArchive(dir)).toEqual([a]);

    failing = false;
    expect(await store.append(b)).toBe('archived');
    expect(await readArchive(dir)).toEqual([a, b]);
  });
});

describe('file store at start', () => {
  it('treats an empty file as an empty archive', async () => {
    const dir = await tempDataDir();
    await writeFile(archivePath(dir), '');

    const store = await open(dir);

    expect(await readArchive(dir)).toEqual([]);
    await store.append(entry(1));
    expect(await readArchive(dir)).toHaveLength(1);
  });

  it('moves a file that is not a JSON array aside and starts empty', async () => {
    const dir = await tempDataDir();
    await writeFile(archivePath(dir), '{"not": "an array"');
    const { log, lines } = captureLog();

    await open(dir, log);

    const aside = join(dir, 'webhook_log.corrupt-2026-12-03T17-00-00Z.json');
    expect(await readFile(aside, 'utf8')).toBe('{"not": "an array"');
    expect(await readArchive(dir)).toEqual([]);
    const error = lines.find((l) => l.severity === 'ERROR');
    expect(error).toMatchObject({ path: archivePath(dir), movedTo: aside });
  });

  it('moves aside a JSON array whose items are not entries', async () => {
    const dir = await tempDataDir();
    await writeFile(archivePath(dir), '[1, 2, 3]');

    await open(dir);

    expect(await readArchive(dir)).toEqual([]);
    expect(await readdir(dir)).toContain(
      'webhook_log.corrupt-2026-12-03T17-00-00Z.json',
    );
  });

  it('rewrites a hand-written array into its layout, keeping every entry', async () => {
    const dir = await tempDataDir();
    const entries = [entry(1), entry(2)];
    await writeFile(archivePath(dir), JSON.stringify(entries, null, 2));

    const store = await open(dir);
    await store.append(entry(3));

    const lines = (await readFile(archivePath(dir), 'utf8')).split('\n');
    expect(lines).toHaveLength(6);
    expect((await readArchive(dir)).slice(0, 2)).toEqual(entries);
    expect(await store.append({ ...entries[0], messageId: 'x' } as never)).toBe(
      'duplicate',
    );
  });

  it.each([
    ['inside the last entry', (line: string) => line.slice(0, 40)],
    ['after the last entry, before the bracket', (line: string) => `${line}\n`],
    ['after a comma', () => ','],
    ['with NULs from a lost page', (line: string) => '\0'.repeat(line.length)],
  ])('repairs a tail torn %s', async (_, tear) => {
    const dir = await tempDataDir();
    const kept = [entry(1), entry(2)];
    const torn = entry(3);
    await writeFile(
      archivePath(dir),
      `[\n ${JSON.stringify(kept[0])}\n,${JSON.stringify(kept[1])}\n` +
        tear(`,${JSON.stringify(torn)}`),
    );
    const { log, lines } = captureLog();

    const store = await open(dir, log);

    const expected = tear('x').endsWith('\n') ? [...kept, torn] : kept;
    expect(await readArchive(dir)).toEqual(expected);
    const warning = lines.find((l) => l.severity === 'WARNING');
    expect(warning?.message).toMatch(/repaired a torn tail/);
    if (typeof warning?.savedTo === 'string') {
      expect(await readFile(warning.savedTo, 'utf8')).toBe(
        tear(`,${JSON.stringify(torn)}`),
      );
    }
    expect(await store.append(torn)).toBe(
      expected.length === 3 ? 'duplicate' : 'archived',
    );
    expect(await readArchive(dir)).toEqual([...kept, torn]);
  });
});
