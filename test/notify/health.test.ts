import { describe, expect, it } from 'vitest';
import {
  listing,
  openTestNotify,
  personnage,
  push,
  send,
  subscribe,
  tempDataDir,
  view,
} from './fixtures.js';
import { startReceiver } from './receiver.js';

describe('notify subscriber health', () => {
  it('disables a subscriber that answers 410 Gone and acknowledges the event', async () => {
    const notify = await openTestNotify({ dataDir: await tempDataDir() });
    const gone = await startReceiver({ status: () => 410 });
    const { id } = await subscribe(notify, gone.url);

    const first = await push(notify, personnage('Zabuza', 77));
    const second = await push(notify, personnage('Haku', 66));

    expect(first.status).toBe(204);
    expect(second.status).toBe(204);
    expect(gone.calls).toHaveLength(1);
    expect(await view(notify, id)).toMatchObject({
      status: 'disabled',
      enabled: false,
      lastError: 'answered 410',
    });
  });

  it('skips a subscriber for a cool-down after five consecutive failures', async () => {
    let clock = Date.parse('2030-01-01T00:00:00Z');
    const notify = await openTestNotify({
      dataDir: await tempDataDir(),
      now: () => new Date(clock),
    });
    const healthy = await startReceiver();
    const broken = await startReceiver({ status: (n) => (n <= 5 ? 500 : 204) });
    await subscribe(notify, healthy.url);
    const { id } = await subscribe(notify, broken.url);
    const events = Array.from({ length: 6 }, (_, i) =>
      personnage(`Genin ${i}`, 50 + i),
    );

    for (const event of events.slice(0, 5)) await push(notify, event);
    const failing = await view(notify, id);
    const cooling = await push(notify, events[5] ?? personnage('x', 1));
    const callsDuringCoolDown = broken.calls.length;
    clock += 61_000;
    const recovered = await push(notify, events[5] ?? personnage('x', 1));

    expect(failing).toMatchObject({
      status: 'failing',
      consecutiveFailures: 5,
      lastError: 'answered 500',
      coolDownUntil: '2030-01-01T00:01:00.000Z',
    });
    expect(cooling.status).toBe(503);
    expect(cooling.headers.get('retry-after')).not.toBeNull();
    expect(callsDuringCoolDown).toBe(5);
    expect(healthy.calls).toHaveLength(6);
    expect(recovered.status).toBe(204);
    expect(broken.calls).toHaveLength(6);
    expect((await listing(notify)).subscribers[1]).toMatchObject({
      status: 'active',
      consecutiveFailures: 0,
      lastError: null,
      coolDownUntil: null,
    });
  });

  it('forgets past failures when a subscriber is switched back on', async () => {
    const notify = await openTestNotify({ dataDir: await tempDataDir() });
    const gone = await startReceiver({ status: (n) => (n === 1 ? 410 : 204) });
    const { id } = await subscribe(notify, gone.url);
    await push(notify, personnage('Kisame', 84));

    const res = await send(notify, 'PATCH', `/subscribe/${id}`, {
      enabled: true,
    });
    await push(notify, personnage('Deidara', 79));

    expect(await res.json()).toMatchObject({
      status: 'active',
      consecutiveFailures: 0,
      lastError: null,
    });
    expect(gone.accepted()).toHaveLength(1);
  });
});
