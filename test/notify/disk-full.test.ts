import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';
import { tsxUnderFileSizeLimit } from '../harness/index.js';
import { tempDataDir } from './fixtures.js';

// A file size limit of 2 KiB stands for a full disk: notifications.txt
// soon cannot grow, and every write to it fails (EFBIG) from then on.
it('answers 503 on a full disk and logs the cause, not a crash', async () => {
  const dir = await tempDataDir();
  const child = join(import.meta.dirname, 'notify-under-limit.ts');
  const { stdout } = await promisify(execFile)(
    ...tsxUnderFileSizeLimit(2, child, [dir]),
  );
  const { statuses, logged } = JSON.parse(stdout) as {
    statuses: number[];
    logged: Record<string, unknown>[];
  };

  expect(statuses.slice(0, 5)).toEqual([204, 204, 204, 204, 204]);
  expect(statuses.at(-1)).toBe(503);
  const failures = logged.filter((l) => l.severity === 'ERROR');
  expect(failures.length).toBeGreaterThan(0);
  for (const line of failures) {
    expect(line).toMatchObject({
      message: 'channel could not write its journal; the event will be retried',
      channel: 'local',
      code: 'EFBIG',
      syscall: 'write',
    });
    expect(line).not.toHaveProperty('stack_trace');
  }
});
