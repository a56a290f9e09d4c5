/**
 * Run by journal.test.ts under a file size limit (`ulimit -f`): appends
 * to the log at argv[2] until the disk refuses, and prints which appends
 * resolved and which were rejected, as JSON.
 */
import { openAppendLog } from '../../functions/notify/journal.js';

const log = await openAppendLog(process.argv[2] ?? '');
const outcome = { resolved: [] as string[], rejected: [] as string[] };
const append = (line: string) =>
  log.append(line).then(
    () => outcome.resolved.push(line),
    (err: NodeJS.ErrnoException) =>
      outcome.rejected.push(`${line} ${err.code}`),
  );
const line = (n: number) => `${String(n).padStart(3, '0')} ${'x'.repeat(96)}`;
// 101 bytes a line: seven, one at a time, then five at once, of which the
// first is written alone and the other four together, across the limit.
for (let n = 0; n < 7; n++) await append(line(n));
await Promise.all([7, 8, 9, 10, 11].map((n) => append(line(n))));
await append('z');
await log.close();
console.log(JSON.stringify(outcome));
