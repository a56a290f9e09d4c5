/**
 * Run by lock.test.ts, several at once: waits for the wall-clock instant
 * argv[3] (so that all start together), tries to take the lock at
 * argv[2], prints `held` or `locked`, and keeps a lock it took until its
 * stdin closes.
 */
import { acquireLock, StoreLockedError } from '../../functions/core/lock.js';

const [path = '', startAt = '0'] = process.argv.slice(2);
while (Date.now() < Number(startAt)) {
  // spin: a timer would let the processes drift apart by milliseconds
}
try {
  const release = await acquireLock(path);
  console.log('held');
  process.stdin.resume();
  await new Promise((resolve) => process.stdin.once('end', resolve));
  await release();
} catch (err) {
  if (!(err instanceof StoreLockedError)) throw err;
  console.log('locked');
}
