/**
 * The ceilings the benchmark compares relais with, served alone in a
 * process as the functions are: `node --import tsx bench/ceiling-server.ts
 * <http|push> <port>`.
 *
 * - `http`: `POST /webhook/personnage` parses the JSON body and answers
 *   202, the most a Hono app on @hono/node-server can do on this machine.
 * - `publish`: the same, but it publishes the body to `$TOPIC` with
 *   ingest's own publisher (same client, batching and timeout) and answers
 *   once Pub/Sub has it: the most any handler that publishes every webhook
 *   can do here, before relais's checks, validation and logs.
 * - `push`: `POST /<sub>/push` answers 204 to every push and counts it
 *   per `<sub>` (so a topology's push base URLs can point here as they
 *   point at archive and notify), with the time since the event's `receivedAt`;
 *   `GET /stats` returns them and `POST /reset` forgets them.
 */
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { createTopicPublisher } from '../functions/core/publisher.js';
import { createPubSub } from '../functions/core/pubsub.js';

const [mode, portText] = process.argv.slice(2);
const app = new Hono();
app.get('/healthz', (c) => c.json({ status: 'ok' }));

if (mode === 'http') {
  app.post('/webhook/personnage', async (c) => {
    const body = (await c.req.json()) as { nom?: unknown };
    return c.json({ accepted: typeof body.nom === 'string' }, 202);
  });
} else if (mode === 'publish') {
  const publisher = createTopicPublisher(
    createPubSub({
      projectId: process.env.PUBSUB_PROJECT_ID ?? 'relais-bench',
      emulatorHost: process.env.PUBSUB_EMULATOR_HOST,
    }),
    process.env.TOPIC ?? 'bench-publish',
    { timeoutMs: 10_000 },
  );
  app.post('/webhook/personnage', async (c) => {
    const body = (await c.req.json()) as { nom?: unknown };
    const messageId = await publisher.publish({
      data: Buffer.from(JSON.stringify(body)),
      attributes: {},
    });
    return c.json({ accepted: typeof body.nom === 'string', messageId }, 202);
  });
} else {
  let counts: Record<string, number> = {};
  let latenciesMs: number[] = [];
  app.post('/:sub/push', async (c) => {
    const sub = c.req.param('sub');
    const body = (await c.req.json()) as { message?: { data?: string } };
    const data = Buffer.from(body.message?.data ?? '', 'base64').toString();
    const receivedAt = (JSON.parse(data || '{}') as { receivedAt?: string })
      .receivedAt;
    counts[sub] = (counts[sub] ?? 0) + 1;
    if (receivedAt) latenciesMs.push(Date.now() - Date.parse(receivedAt));
    return c.body(null, 204);
  });
  app.get('/stats', (c) => c.json({ counts, latenciesMs }));
  app.post('/reset', (c) => {
    counts = {};
    latenciesMs = [];
    return c.body(null, 204);
  });
}

const server = serve({
  fetch: app.fetch,
  hostname: '127.0.0.1',
  port: Number(portText),
});
process.once('SIGTERM', () => server.close(() => process.exit(0)));
