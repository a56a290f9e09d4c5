import autocannon from 'autocannon';
import { benchFunction, openContext, uniqueId } from '../lib/context.js';
import { cpuShares } from '../lib/proc.js';

const delays = JSON.parse(process.argv[2] ?? '[5,1]') as number[];
const ctx = await openContext((l) => console.error(l));
try {
  const topic = uniqueId('batch');
  await ctx.pubsub.createTopic(topic);
  const servers = [];
  for (const d of delays) {
    const s = await benchFunction(ctx, 'ingest', {
      TOPIC: topic,
      DATA_DIR: `${ctx.root}/i${d}`,
      EXP_BATCH_MS: String(d),
    });
    await s.start();
    servers.push([d, s] as const);
  }
  for (let round = 0; round < 4; round++) {
    for (const [d, s] of servers) {
      const { result: r, cores } = await cpuShares(
        { ingest: s.pid, emulator: ctx.emulator.pid },
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
      if (round > 0)
        console.log(
          `batch ${d} ms: ${((r.statusCodeStats?.['202']?.count ?? 0) / r.duration) | 0}/s p50 ${r.latency.p50} p99 ${r.latency.p99}`,
          JSON.stringify(cores),
        );
    }
  }
} finally {
  await ctx.close();
}
