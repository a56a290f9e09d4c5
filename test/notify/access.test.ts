import { describe, expect, it } from 'vitest';
import { openTestNotify, PUSH_TOKEN, tempDataDir } from './fixtures.js';

const KEY = 'notify-control-key-0123456789';

describe('NOTIFY_API_KEY', () => {
  it.each([
    ['GET', '/subscribe'],
    ['POST', '/subscribe'],
    ['GET', '/subscribe/sub_1'],
    ['PATCH', '/subscribe/sub_1'],
    ['DELETE', '/subscribe/sub_1'],
    ['GET', '/notifier'],
  ])('guards %s %s with 401 and WWW-Authenticate', async (method, path) => {
    const { app } = await openTestNotify({
      dataDir: await tempDataDir(),
      apiKey: KEY,
    });
    const res = await app.request(path, {
      method,
      headers: { 'content-type': 'application/json' },
      body: method === 'GET' || method === 'DELETE' ? undefined : '{}',
    });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer realm="notify"');
  });

  it('lets the key in, by Bearer or X-API-Key', async () => {
    const { app } = await openTestNotify({
      dataDir: await tempDataDir(),
      apiKey: KEY,
    });
    const off = await app.request('/subscribe', {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${KEY}`,
      },
      body: JSON.stringify({ enabled: false }),
    });
    expect(off.status).toBe(200);
    const listing = await app.request('/subscribe', {
      headers: { 'x-api-key': KEY },
    });
    expect(await listing.json()).toMatchObject({ enabled: false });
  });

  it('leaves the push endpoint to its own authentication', async () => {
    const { app } = await openTestNotify({
      dataDir: await tempDataDir(),
      apiKey: KEY,
    });
    const res = await app.request(`/push?token=${PUSH_TOKEN}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(res.status).toBe(400);
  });

  it('leaves every route open when no key is set', async () => {
    const { app } = await openTestNotify({ dataDir: await tempDataDir() });
    expect((await app.request('/subscribe')).status).toBe(200);
  });
});

describe('the push endpoint', () => {
  it('refuses a body over 1 MiB with 413, so it is dead-lettered', async () => {
    const { app } = await openTestNotify({ dataDir: await tempDataDir() });
    const res = await app.request(`/push?token=${PUSH_TOKEN}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ padding: 'x'.repeat(1024 * 1024) }),
    });
    expect(res.status).toBe(413);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
  });
});

describe('the subscriber API', () => {
  it.each([
    [
      'a latin1 charset',
      { 'content-type': 'application/json; charset=latin1' },
    ],
    [
      'a gzip body',
      { 'content-type': 'application/json', 'content-encoding': 'gzip' },
    ],
    ['form data', { 'content-type': 'application/x-www-form-urlencoded' }],
  ])('refuses %s with 415, as ingest does', async (_, headers) => {
    const { app } = await openTestNotify({ dataDir: await tempDataDir() });
    const res = await app.request('/subscribe', {
      method: 'POST',
      headers,
      body: JSON.stringify({ enabled: false }),
    });
    expect(res.status).toBe(415);
  });
});
