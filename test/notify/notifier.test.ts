import { describe, expect, it } from 'vitest';
import {
  notificationLines,
  openTestNotify,
  personnage,
  push,
  send,
  tempDataDir,
} from './fixtures.js';

describe('notify local channels', () => {
  it('shows the latest notifications as JSON, newest first', async () => {
    const notify = await openTestNotify({ dataDir: await tempDataDir() });
    const first = personnage('Naruto', 85);
    const second = personnage('Boruto', 30);
    await push(notify, first);
    await push(notify, second);

    const res = await send(notify, 'GET', '/notifier');

    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await res.json()).toMatchObject({
      total: 2,
      latest: [
        { eventId: second.id, nom: 'Boruto', niveau: 'débutant' },
        { eventId: first.id, nom: 'Naruto', niveau: 'expert' },
      ],
    });
  });

  it('shows an HTML badge with names escaped', async () => {
    const notify = await openTestNotify({ dataDir: await tempDataDir() });
    await push(notify, personnage('<img src=x onerror=alert(1)>', 95));

    const byQuery = await send(notify, 'GET', '/notifier?format=html');
    const byAccept = await notify.app.request('/notifier', {
      headers: { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' },
    });
    const page = await byQuery.text();

    expect(byQuery.headers.get('content-type')).toMatch(/^text\/html/);
    expect(byAccept.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(page).not.toContain('<img');
  });

  it('keeps a name with a line break on one line of notifications.txt', async () => {
    const dataDir = await tempDataDir();
    const notify = await openTestNotify({ dataDir });

    await push(notify, personnage('Naruto\n2030-01-01T00:00:00Z forged', 85));

    const lines = await notificationLines(dataDir);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('Naruto\\u000a2030');
  });

  it.each(['\u2028', '\u2029'])(
    'notifies a name holding %j once, also after a restart',
    async (separator) => {
      const dataDir = await tempDataDir();
      const event = personnage(`L1${separator}L2`, 85);
      const first = await openTestNotify({ dataDir });
      await push(first, event);
      await first.close();

      const again = await openTestNotify({ dataDir });
      await push(again, event);

      expect(await notificationLines(dataDir)).toHaveLength(1);
    },
  );

  it('answers its health check', async () => {
    const notify = await openTestNotify({ dataDir: await tempDataDir() });

    const res = await send(notify, 'GET', '/healthz');

    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok', function: 'notify' });
  });
});
