import { execFile } from 'node:child_process';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { openAppendLog } from '../../functions/notify/journal.js';
import { tsxUnderFileSizeLimit } from '../harness/index.js';
import { tempDataDir } from './fixtures.js';

describe('append log', () => {
  it('keeps every concurrent append, whole and in call order', async () => {
    const path = join(await tempDataDir(), 'log.txt');
    const log = await openAppendLog(path);
    const lines = Array.from({ length: 200 }, (_, n) => `record ${n}`);
    await Promise.all(lines.map((line) => log.append(line)));
    await log.close();
    expect(await readFile(path, 'utf8')).toBe(
      lines.map((l) => `${l}\n`).join(''),
    );
    expect(((await stat(path)).mode & 0o777).toString(8)).toBe('600');
    const reopened = await openAppendLog(path);
    expect(reopened.lines).toEqual(lines);
    await reopened.close();
  });

  it('closes a torn last line and keeps it out of the lines read', async () => {
    const path = join(await tempDataDir(), 'log.txt');
    await writeFile(path, 'whole\ncut sho');
    const log = await openAppendLog(path);
    expect(log.lines).toEqual(['whole']);
    await log.append('next');
    await log.close();
    expect(await readFile(path, 'utf8')).toBe('whole\ncut sho\nnext\n');
  });

  it('refuses a record of several lines and still takes the next', async () => {
    const path = join(await tempDataDir(), 'log.txt');
    const log = await openAppendLog(path);
    await expect(log.append('a\nb')).rejects.toThrow(/one line/);
    await log.append('c');
    await log.close();
    expect(await readFile(path, 'utf8')).toBe('c\n');
  });

  it('cuts back a write the disk took only part of, and glues nothing to it', async () => {
    // A file size limit of 1,024 bytes makes the kernel stop a write short,
    // with no error, as a full disk does; the next write fails (EFBIG).
    const path = join(await tempDataDir(), 'log.txt');
    const child = join(import.meta.dirname, 'append-under-limit.ts');
    const { stdout } = await promisify(execFile)(
      ...tsxUnderFileSizeLimit(1, child, [path]),
    );
    const { resolved, rejected } = JSON.parse(stdout) as {
      resolved: string[];
      rejected: string[];
    };
    expect(resolved).toHaveLength(9);
    expect(resolved.at(-1)).toBe('z');
    expect(rejected).toHaveLength(4);
    expect(rejected.every((r) => r.endsWith(' EFBIG'))).toBe(true);
    // Only the resolved lines are in the file, whole: the refused batch's
    // fragment was cut off before 'z' was written.
    const text = await readFile(path, 'utf8');
    expect(text).toBe(resolved.map((l) => `${l}\n`).join(''));
    const reopened = await openAppendLog(path);
    expect(reopened.lines).toEqual(resolved);
    await reopened.append('after');
    await reopened.close();
    expect(await readFile(path, 'utf8')).toBe(`${text}after\n`);
  });
});
