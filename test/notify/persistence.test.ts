import { appendFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { StoreLockedError } from '../../functions/core/lock.js';
import {
  listing,
  notificationLines,
  openTestNotify,
  personnage,
  push,
  send,
  subscribe,
  tempDataDir,
} from './fixtures.js';
import { startReceiver } from './receiver.js';

describe('notify state across a restart', () => {
  it('lets one notify at a time use a data directory', async () => {
    const dataDir = await tempDataDir();
    const first = await openTestNotify({ dataDir });

    await expect(openTestNotify({ dataDir })).rejects.toThrow(StoreLockedError);
    await first.close();
    const second = await openTestNotify({ dataDir });
    expect((await second.app.request('/healthz')).status).toBe(200);
  });

  it('keeps subscribers, switches and delivered channels', async () => {
    const dataDir = await tempDataDir();
    const before = await openTestNotify({ dataDir });
    const steady = await startReceiver();
    const flaky = await startReceiver({ status: (n) => (n === 1 ? 503 : 204) });
    const muted = await startReceiver();
    const a = await subscribe(before, steady.url, ['expert']);
    const b = await subscribe(before, flaky.url);
    const c = await subscribe(before, muted.url);
    await send(before, 'PATCH', `/subscribe/${c.id}`, { enabled: false });
    const event = personnage('Naruto', 85);
    const failed = await push(before, event);
    await before.close();

    const after = await openTestNotify({ dataDir });
    const state = await listing(after);
    const retried = await push(after, event);

    expect(failed.status).toBe(503);
    expect(state.enabled).toBe(true);
    expect(state.subscribers).toMatchObject([
      { id: a.id, url: steady.url, niveaux: ['expert'], status: 'active' },
      { id: b.id, status: 'active', consecutiveFailures: 1 },
      { id: c.id, status: 'disabled' },
    ]);
    expect(retried.status).toBe(204);
    expect(steady.verifiedEventIds(a.secret)).toEqual([event.id]);
    expect(flaky.verifiedEventIds(b.secret)).toEqual([event.id]);
    expect(muted.calls).toHaveLength(0);
    expect(await notificationLines(dataDir)).toHaveLength(1);
  });

  // Files written before ids were lower-cased on the way in.
  it('knows events its files spell in upper case', async () => {
    const dataDir = await tempDataDir();
    const before = await openTestNotify({ dataDir });
    const receiver = await startReceiver();
    const { secret } = await subscribe(before, receiver.url);
    const event = personnage('Naruto', 85);
    expect((await push(before, event)).status).toBe(204);
    await before.close();
    for (const name of ['notifications.txt', 'deliveries.jsonl']) {
      const path = join(dataDir, name);
      const text = await readFile(path, 'utf8');
      expect(text).toContain(event.id);
      await writeFile(path, text.replaceAll(event.id, event.id.toUpperCase()));
    }

    const after = await openTestNotify({ dataDir });
    expect((await push(after, event)).status).toBe(204);

    expect(receiver.verifiedEventIds(secret)).toEqual([event.id]);
    expect(await notificationLines(dataDir)).toHaveLength(1);
  });

  it('keeps the global switch', async () => {
    const dataDir = await tempDataDir();
    const before = await openTestNotify({ dataDir });
    await send(before, 'POST', '/subscribe', { enabled: false });
    await before.close();

    const after = await openTestNotify({ dataDir });

    expect((await listing(after)).enabled).toBe(false);
  });

  it('rebuilds the badge from notifications.txt', async () => {
    const dataDir = await tempDataDir();
    const before = await openTestNotify({ dataDir });
    const event = personnage('Sasuke', 91);
    await push(before, event);
    await before.close();

    const after = await openTestNotify({ dataDir });
    const badge = await (await send(after, 'GET', '/notifier')).json();

    expect(badge).toMatchObject({
      total: 1,
      latest: [{ eventId: event.id, nom: 'Sasuke', niveau: 'légendaire' }],
    });
  });

  it('never writes secrets where the listing can show them', async () => {
    const dataDir = await tempDataDir();
    const notify = await openTestNotify({ dataDir });
    const receiver = await startReceiver();
    const { secret } = await subscribe(notify, receiver.url);

    const shown = await (await send(notify, 'GET', '/subscribe')).text();
    const stored = await readFile(join(dataDir, 'subscribers.json'), 'utf8');

    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    expect(shown).not.toContain(secret);
    expect(stored).toContain(secret);
  });

  it('starts a new line after a line cut short by a crash', async () => {
    const dataDir = await tempDataDir();
    await appendFile(join(dataDir, 'notifications.txt'), '2030-01-01T00:00');
    const notify = await openTestNotify({ dataDir });

    await push(notify, personnage('Tenten', 58));

    const lines = await notificationLines(dataDir);
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatch(/Tenten \(intermédiaire\)$/);
  });
});
