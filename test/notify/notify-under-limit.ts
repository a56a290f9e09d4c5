/**
 * Run by disk-full.test.ts under a file size limit (`ulimit -f`): notify
 * on the DATA_DIR at argv[2] is pushed events until its files can grow no
 * more, and prints the statuses it answered and the lines it logged, as
 * JSON.
 */
import { createLogger } from '../../functions/core/log.js';
import { openNotify } from '../../functions/notify/index.js';
import { envelope, PUSH_TOKEN, personnage } from './fixtures.js';

const logged: Record<string, unknown>[] = [];
const runtime = await openNotify({
  config: {
    dataDir: process.argv[2] ?? '',
    production: false,
    callbackTimeoutMs: 1_000,
    notifyApiKey: undefined,
  },
  pushToken: PUSH_TOKEN,
  log: createLogger({
    service: 'notify',
    destination: { write: (line: string) => logged.push(JSON.parse(line)) },
  }),
});
const statuses: number[] = [];
for (let n = 0; n < 30; n++) {
  const res = await runtime.app.request(`/push?token=${PUSH_TOKEN}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(envelope(personnage(`Naruto ${n}`, 85))),
  });
  statuses.push(res.status);
}
await runtime.close();
console.log(JSON.stringify({ statuses, logged }));
