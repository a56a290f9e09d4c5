import { describe, expect, it } from 'vitest';
import {
  listing,
  notificationLines,
  openTestNotify,
  personnage,
  push,
  send,
  subscribe,
  tempDataDir,
  view,
} from './fixtures.js';
import { startReceiver } from './receiver.js';

describe('notify delivery to HTTP subscribers', () => {
  it('delivers each event once to two subscribers, signed so it verifies', async () => {
    const dataDir = await tempDataDir();
    const notify = await openTestNotify({ dataDir });
    const [a, b] = await Promise.all([startReceiver(), startReceiver()]);
    const subA = await subscribe(notify, a.url);
    const subB = await subscribe(notify, b.url);
    const naruto = personnage('Naruto', 85);
    const sakura = personnage('Sakura', 60);

    expect((await push(notify, naruto)).status).toBe(204);
    expect((await push(notify, sakura)).status).toBe(204);
    // A redelivery, and a publisher retry's copy under a new messageId.
    expect((await push(notify, naruto, 'same-message')).status).toBe(204);
    expect((await push(notify, naruto, 'other-message')).status).toBe(204);

    expect(a.verifiedEventIds(subA.secret)).toEqual([naruto.id, sakura.id]);
    expect(b.verifiedEventIds(subB.secret)).toEqual([naruto.id, sakura.id]);
    expect(a.calls[0]?.headers['webhook-id']).toBe(
      `msg_${naruto.id}_${subA.id}`,
    );
    expect(JSON.parse(a.calls[0]?.body ?? '')).toEqual({
      type: 'personnage.created',
      timestamp: naruto.receivedAt,
      data: naruto,
    });
    const lines = await notificationLines(dataDir);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(
      new RegExp(
        `^\\S+Z ${naruto.id} Personnage ajouté avec succès : Naruto \\(expert\\)$`,
      ),
    );
  });

  it('sends nothing to a subscriber switched off', async () => {
    const notify = await openTestNotify({ dataDir: await tempDataDir() });
    const [on, off] = await Promise.all([startReceiver(), startReceiver()]);
    await subscribe(notify, on.url);
    const { id } = await subscribe(notify, off.url);

    const patched = await send(notify, 'PATCH', `/subscribe/${id}`, {
      enabled: false,
    });
    await push(notify, personnage('Gaara', 70));

    expect(patched.status).toBe(200);
    expect(await patched.json()).toMatchObject({ id, status: 'disabled' });
    expect(off.calls).toHaveLength(0);
    expect(on.calls).toHaveLength(1);
  });

  it('retries only the channels still missing until a failing subscriber recovers', async () => {
    const dataDir = await tempDataDir();
    const notify = await openTestNotify({ dataDir });
    const steady = await startReceiver();
    const flaky = await startReceiver({ status: (n) => (n <= 3 ? 500 : 204) });
    await subscribe(notify, steady.url);
    const { id, secret } = await subscribe(notify, flaky.url);
    const event = personnage('Itachi', 92);

    const statuses: number[] = [];
    for (let attempt = 0; attempt < 4; attempt++) {
      statuses.push((await push(notify, event)).status);
    }

    expect(statuses).toEqual([503, 503, 503, 204]);
    expect(flaky.calls).toHaveLength(4);
    expect(flaky.verifiedEventIds(secret)).toEqual([event.id]);
    expect(new Set(flaky.calls.map((c) => c.headers['webhook-id'])).size).toBe(
      1,
    );
    expect(steady.calls).toHaveLength(1);
    expect(await notificationLines(dataDir)).toHaveLength(1);
    const { subscribers } = await listing(notify);
    expect(subscribers[1]).toMatchObject({
      id,
      status: 'active',
      consecutiveFailures: 0,
    });
  });

  it('answers 503 problem+json naming the channels left to retry', async () => {
    const notify = await openTestNotify({ dataDir: await tempDataDir() });
    const down = await startReceiver({ status: () => 500 });
    await subscribe(notify, down.url);

    const res = await push(notify, personnage('Kakashi', 88));

    expect(res.status).toBe(503);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect(await res.json()).toMatchObject({
      type: 'urn:relais:problem:unavailable',
      status: 503,
    });
  });

  it('honours a niveau filter', async () => {
    const notify = await openTestNotify({ dataDir: await tempDataDir() });
    const legends = await startReceiver();
    const all = await startReceiver();
    await subscribe(notify, legends.url, ['légendaire']);
    await subscribe(notify, all.url);
    const rock = personnage('Rock Lee', 40);
    const madara = personnage('Madara', 99);

    await push(notify, rock);
    await push(notify, madara);

    expect(legends.calls.map((c) => JSON.parse(c.body).data.id)).toEqual([
      madara.id,
    ]);
    expect(all.calls).toHaveLength(2);
  });

  it('shares one attempt between concurrent deliveries of one event', async () => {
    const dataDir = await tempDataDir();
    const notify = await openTestNotify({ dataDir });
    const slow = await startReceiver({ delayMs: 150 });
    await subscribe(notify, slow.url);
    const event = personnage('Hinata', 81);

    const statuses = await Promise.all([
      push(notify, event, 'first'),
      push(notify, event, 'second'),
      push(notify, event, 'third'),
    ]).then((all) => all.map((r) => r.status));

    expect(statuses).toEqual([204, 204, 204]);
    expect(slow.calls).toHaveLength(1);
    expect(await notificationLines(dataDir)).toHaveLength(1);
  });

  it('acknowledges without notifying while all notifications are off', async () => {
    const dataDir = await tempDataDir();
    const notify = await openTestNotify({ dataDir });
    const receiver = await startReceiver();
    await subscribe(notify, receiver.url);

    const off = await send(notify, 'POST', '/subscribe', { enabled: false });
    const muted = await push(notify, personnage('Shikamaru', 75));
    const state = await listing(notify);
    await send(notify, 'POST', '/subscribe', { enabled: true });
    const heard = await push(notify, personnage('Choji', 55));

    expect(off.status).toBe(200);
    expect(state.enabled).toBe(false);
    expect(muted.status).toBe(204);
    expect(heard.status).toBe(204);
    expect(receiver.calls).toHaveLength(1);
    expect(await notificationLines(dataDir)).toHaveLength(1);
  });

  it('counts a callback that does not answer in time as a failure', async () => {
    const notify = await openTestNotify({
      dataDir: await tempDataDir(),
      callbackTimeoutMs: 100,
    });
    const stuck = await startReceiver({ delayMs: 1_000 });
    const { id } = await subscribe(notify, stuck.url);

    const res = await push(notify, personnage('Jiraiya', 90));
    const after = await view(notify, id);

    expect(res.status).toBe(503);
    expect(after.lastError).toBe('no answer within 100 ms');
  });

  it('does not follow a redirect and counts it as a failure', async () => {
    const notify = await openTestNotify({ dataDir: await tempDataDir() });
    const moved = await startReceiver({ status: () => 302 });
    const { id } = await subscribe(notify, moved.url);

    const res = await push(notify, personnage('Orochimaru', 89));
    const after = await view(notify, id);

    expect(res.status).toBe(503);
    expect(moved.calls).toHaveLength(1);
    expect(after.lastError).toMatch(/302; redirects are not followed/);
  });
});
