import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import {
  collectMessages,
  createTestTopology,
  startFunctionServer,
  TEST_PUSH_TOKEN,
  waitFor,
} from '../harness/index.js';

interface Push {
  path: string;
  token: string | undefined;
  body: {
    message: { data?: string; attributes?: Record<string, string> };
    subscription: string;
  };
}

/** A push endpoint that records what it gets and answers `status()`. */
function recorder(status: () => 200 | 500 = () => 200) {
  const pushes: Push[] = [];
  const app = new Hono();
  app.post('*', async (c) => {
    pushes.push({
      path: c.req.path,
      token: c.req.query('token'),
      body: await c.req.json(),
    });
    return c.body(null, status() === 200 ? 204 : 500);
  });
  return { app, pushes };
}

describe('the emulator topology', () => {
  it('pushes a published message to archive and notify with the token', async () => {
    const archive = recorder();
    const notify = recorder();
    const archiveServer = await startFunctionServer(archive.app);
    const notifyServer = await startFunctionServer(notify.app);
    const { pubsub, names } = await createTestTopology({
      pushBase: { archive: archiveServer.url, notify: notifyServer.url },
    });

    await pubsub.topic(names.topic).publishMessage({
      data: Buffer.from('{"nom":"Sasuke"}'),
      attributes: { eventId: 'e-1' },
    });

    const toArchive = await waitFor(() => archive.pushes[0], {
      message: 'a push to archive',
    });
    await waitFor(() => notify.pushes.length > 0, {
      message: 'a push to notify',
    });
    expect(toArchive).toMatchObject({ path: '/push', token: TEST_PUSH_TOKEN });
    expect(toArchive.body.subscription).toBe(
      pubsub.subscription(names.archive).name,
    );
    expect(toArchive.body.message.attributes).toMatchObject({
      eventId: 'e-1',
    });
    expect(
      Buffer.from(toArchive.body.message.data ?? '', 'base64').toString(),
    ).toBe('{"nom":"Sasuke"}');
  });

  it('moves a message every push fails to the dead-letter subscription', async () => {
    const failing = recorder(() => 500);
    const server = await startFunctionServer(failing.app);
    const { pubsub, names } = await createTestTopology({
      pushBase: { archive: server.url, notify: server.url },
      maxDeliveryAttempts: 5,
    });
    const deadLetters = collectMessages(pubsub, names.deadLetterInspect);

    await pubsub.topic(names.topic).publishMessage({
      data: Buffer.from('poison'),
    });

    // One copy from each of the two push subscriptions.
    await waitFor(() => deadLetters.messages.length >= 2, {
      timeoutMs: 20_000,
      message: 'two dead letters',
    });
    expect(deadLetters.messages.map((m) => m.data.toString())).toEqual([
      'poison',
      'poison',
    ]);
    expect(failing.pushes.length).toBeGreaterThanOrEqual(10);
    expect(deadLetters.messages[0]?.attributes).toHaveProperty(
      'CloudPubSubDeadLetterSourceSubscription',
    );
  });
});
