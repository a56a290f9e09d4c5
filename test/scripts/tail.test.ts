import {
  appendFile,
  mkdtemp,
  rename,
  rm,
  truncate,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { entryLine, renderArchive } from '../../functions/archive/layout.js';
import { FileFollower } from '../../scripts/lib/follow-file.js';
import {
  formatTailRecord,
  isArchiveClose,
  parseTailLine,
} from '../../scripts/lib/tail-format.js';

const ENTRY = {
  id: '1b9d6bcd-bbfd-4b2d-9b5d-ab8dfbbd4bed',
  type: 'personnage.created',
  nom: 'Naruto',
  score: 85,
  niveau: 'expert',
  receivedAt: '2025-01-02T12:03:04.500Z',
  messageId: '42',
  publishTime: '2025-01-02T12:03:04.520Z',
  archivedAt: '2025-01-02T12:03:04.563Z',
};

async function tempPath(name = 'file'): Promise<string> {
  return join(await mkdtemp(join(tmpdir(), 'relais-tail-')), name);
}

describe('tail line formatting', () => {
  it.each([
    [
      'archive',
      ` ${JSON.stringify(ENTRY)}`,
      '12:03:04.563 archive  Naruto · 85 expert · +63 ms · 1b9d6bcd',
    ],
    [
      'archive',
      `,${JSON.stringify({ ...ENTRY, nom: 'A\nB', archivedAt: undefined })}`,
      '? archive  A\\u000aB · 85 expert · 1b9d6bcd',
    ],
    [
      'notify',
      '2025-01-02T12:03:04.601Z 1b9d6bcd-bbfd-4b2d-9b5d-ab8dfbbd4bed ' +
        'Personnage ajouté avec succès : Naruto (expert)',
      '12:03:04.601 notify   Personnage ajouté avec succès : Naruto ' +
        '(expert) · 1b9d6bcd',
    ],
  ] as const)('shows a %s line as one readable line', (source, line, shown) => {
    const record = parseTailLine(source, line);

    expect(record).toBeDefined();
    expect(formatTailRecord(record ?? { source })).toBe(shown);
  });

  it.each([
    ['archive', '['],
    ['archive', ']'],
    ['archive', ''],
    ['archive', ' {not json'],
    ['archive', ' [1,2]'],
    ['notify', ''],
    ['notify', 'one-word'],
  ] as const)('skips the %s line %j, which is no event', (source, line) => {
    expect(parseTailLine(source, line)).toBeUndefined();
  });

  it('keeps the raw entry, tagged with its source, for --json', () => {
    expect(parseTailLine('archive', `,${JSON.stringify(ENTRY)}`)).toEqual({
      source: 'archive',
      ...ENTRY,
    });
  });
});

describe('FileFollower', () => {
  it('treats a missing file as empty until it appears', async () => {
    const path = await tempPath();
    const follower = new FileFollower(path);

    expect(await follower.read()).toEqual({ lines: [], exists: false });
    await writeFile(path, 'a\nb\n');
    expect(await follower.read()).toEqual({ lines: ['a', 'b'], exists: true });
  });

  it('hands out only new complete lines, keeping a partial one', async () => {
    const path = await tempPath();
    await writeFile(path, 'one\ntw');
    const follower = new FileFollower(path);

    expect((await follower.read()).lines).toEqual(['one']);
    expect(follower.offset).toBe(4);
    await appendFile(path, 'o\nthree\n');
    expect((await follower.read()).lines).toEqual(['two', 'three']);
    expect((await follower.read()).lines).toEqual([]);
  });

  it('counts offsets in bytes, not characters', async () => {
    const path = await tempPath();
    await writeFile(path, 'débutant é\n');
    const follower = new FileFollower(path);

    await follower.read();
    await appendFile(path, 'légendaire\n');

    expect((await follower.read()).lines).toEqual(['légendaire']);
  });

  it('starts over from the beginning when the file is truncated', async () => {
    const path = await tempPath();
    await writeFile(path, 'old line one\nold line two\n');
    const follower = new FileFollower(path);
    await follower.read();

    await truncate(path, 0);
    await appendFile(path, 'new\n');

    expect(await follower.read()).toEqual({
      lines: ['new'],
      restart: 'truncated',
      exists: true,
    });
  });

  it('reads the new file when the old one is rotated away', async () => {
    const path = await tempPath();
    await writeFile(path, 'before rotation, long enough\n');
    const follower = new FileFollower(path);
    await follower.read();

    await rename(path, `${path}.1`);
    await writeFile(path, 'after\n');

    expect(await follower.read()).toEqual({
      lines: ['after'],
      restart: 'replaced',
      exists: true,
    });
  });

  it('says when the file is removed, then waits for it', async () => {
    const path = await tempPath();
    await writeFile(path, 'x\n');
    const follower = new FileFollower(path);
    await follower.read();

    await rm(path);

    expect(await follower.read()).toEqual({
      lines: [],
      restart: 'removed',
      exists: false,
    });
    expect(await follower.read()).toEqual({ lines: [], exists: false });
  });

  it("re-reads the archive's closing line, which an append overwrites", async () => {
    const path = await tempPath('webhook_log.json');
    const first = { ...ENTRY, id: 'a' };
    const second = { ...ENTRY, id: 'b' };
    await writeFile(path, renderArchive([first]));
    const follower = new FileFollower(path, { holdBack: isArchiveClose });
    const ids = async () =>
      (await follower.read()).lines.map(
        (line) => parseTailLine('archive', line)?.id,
      );

    expect(await ids()).toEqual([undefined, 'a']);
    // The archive appends by writing `,{...}\n]\n` over the closing `]\n`.
    await writeFile(path, renderArchive([first, second]));

    expect(await ids()).toEqual(['b']);
    expect(entryLine(second, 1).toString()).toMatch(/^,/);
  });

  it('reads a file larger than one chunk, and lines longer than one', async () => {
    const path = await tempPath();
    const lines = Array.from({ length: 500 }, (_, i) => `line ${i}`);
    lines.splice(250, 0, 'x'.repeat(300));
    await writeFile(path, `${lines.join('\n')}\n`);

    const follower = new FileFollower(path, { chunkBytes: 64 });

    expect((await follower.read()).lines).toEqual(lines);
  });
});
