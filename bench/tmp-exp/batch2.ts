import autocannon from 'autocannon';
import {
  benchCeiling,
  benchFunction,
  openContext,
  uniqueId,
} from '../lib/context.js';
import { cpuShares } from '../lib/proc.js';

const delays = JSON.parse(process.argv[2] ?? '[5,1]') as number[];
const ctx = await openContext((l) => console.error(l));
try {
  const servers: [string, Awaited<ReturnType<typeof benchFunction>>, string][] =
    [];
  const ceiling = await benchCeiling(ctx, 'http');
  await ceiling.start();
  servers.push(['ceiling', ceiling, '']);
  for (const d of delays) {
    const topic = uniqueId(`batch${d}`);
    await ctx.pubsub.createTopic(topic);
    await ctx.pubsub.createSubscription(topic, `${topic}-count`);
    const s = await benchFunction(ctx, 'ingest', {
      TOPIC: topic,
      DATA_DIR: `${ctx.root}/i${d}`,
      EXP_BATCH_MS: String(d),
    });
    await s.start();
    servers.push([`batch ${d} ms`, s, topic]);
  }
  const accepted: Record<string, number> = {};
  for (let round = 0; round < 3; round++) {
    for (const [name, s] of servers) {
      const { result: r, cores } = await cpuShares(
        { target: s.pid, emulator: ctx.emulator.pid },
        () =>
          autocannon({
            url: `${s.url}/webhook/personnage`,
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ nom: 'Naruto', score: 85 }),
            connections: 50,
            duration: round === 0 ? 3 : 8,
          }),
      );
      const ok = r.statusCodeStats?.['202']?.count ?? 0;
      accepted[name] = (accepted[name] ?? 0) + ok;
      if (round > 0)
        console.log(
          `${name}: ${(ok / r.duration) | 0}/s p50 ${r.latency.p50} p99 ${r.latency.p99}`,
          Object.entries(cores)
            .map(([k, v]) => `${k} ${v.toFixed(2)}`)
            .join(', '),
        );
    }
  }
  for (const [name, , topic] of servers) {
    if (!topic) continue;
    const ids = new Set<string>();
    let last = Date.now();
    const sub = ctx.pubsub.subscription(`${topic}-count`, {
      flowControl: { maxMessages: 5000 },
    });
    sub.on('message', (m) => {
      ids.add(m.attributes.eventId ?? m.id);
      last = Date.now();
      m.ack();
    });
    while (ids.size < (accepted[name] ?? 0) && Date.now() - last < 3000)
      await new Promise((r) => setTimeout(r, 100));
    await sub.close();
    console.log(`${name}: accepted ${accepted[name]}, on topic ${ids.size}`);
  }
} finally {
  await ctx.close();
}
