import type { LookupAddress } from 'node:dns';
import { describe, expect, it } from 'vitest';
import {
  addressPolicy,
  checkAddress,
  parseCallbackUrl,
} from '../../functions/notify/safe-url.js';
import {
  openTestNotify,
  personnage,
  push,
  send,
  tempDataDir,
  view,
} from './fixtures.js';
import { startReceiver } from './receiver.js';

const production = addressPolicy(true);
const local = addressPolicy(false);

/** A resolver answering from a table; a name it lacks does not resolve. */
function resolver(table: Record<string, string[]>) {
  return async (host: string): Promise<LookupAddress[]> =>
    (table[host] ?? []).map((address) => ({
      address,
      family: address.includes(':') ? 6 : 4,
    }));
}

describe('callback address policy', () => {
  it.each([
    '127.0.0.1',
    '127.8.9.10',
    '10.1.2.3',
    '172.16.0.1',
    '192.168.1.1',
    '169.254.169.254',
    '100.64.0.1',
    '0.0.0.0',
    '::',
    '::1',
    'fe80::1',
    'fc00::1',
    'fd00:ec2::254',
    '::ffff:127.0.0.1',
    '::ffff:10.0.0.1',
    '::ffff:a9fe:a9fe',
    '64:ff9b::a00:1',
    '::127.0.0.1',
    '::7f00:1',
    '::10.0.0.1',
    '::a9fe:a9fe',
  ])('refuses %s in production', (address) => {
    expect(() => checkAddress(address, production)).toThrow();
  });

  it.each(['8.8.8.8', '93.184.216.34', '2001:4860:4860::8888'])(
    'allows the public address %s in production',
    (address) => {
      expect(() => checkAddress(address, production)).not.toThrow();
    },
  );

  it.each(['127.0.0.1', '::1', '::ffff:127.0.0.1'])(
    'allows loopback %s locally',
    (address) => {
      expect(() => checkAddress(address, local)).not.toThrow();
    },
  );

  it.each(['10.0.0.1', '169.254.169.254', 'fd00::1'])(
    'still refuses %s locally',
    (address) => {
      expect(() => checkAddress(address, local)).toThrow();
    },
  );

  it.each([
    'ftp://example.com/hook',
    'file:///etc/passwd',
    'javascript:alert(1)',
    '/relative/hook',
    'https://user:pass@example.com/hook',
  ])('refuses the URL %s', (raw) => {
    expect(() => parseCallbackUrl(raw)).toThrow();
  });
});

describe('notify in production mode', () => {
  it.each([
    'http://127.0.0.1:8080/hook',
    'http://169.254.169.254/computeMetadata/v1/',
    'http://metadata.google.internal/computeMetadata/v1/',
    'http://[::ffff:7f00:1]/hook',
    'http://[::1]/hook',
    'http://10.0.0.5/hook',
    'http://0x7f000001/hook',
    'http://2130706433/hook',
    'http://intranet.example.test/hook',
    'http://split.example.test/hook',
    'http://nowhere.example.test/hook',
  ])('refuses to register %s with 422', async (url) => {
    const notify = await openTestNotify({
      dataDir: await tempDataDir(),
      production: true,
      resolve: resolver({
        'intranet.example.test': ['192.168.0.10'],
        'split.example.test': ['93.184.216.34', '10.0.0.1'],
      }),
    });

    const res = await send(notify, 'POST', '/subscribe', { url });

    expect(res.status).toBe(422);
    expect(await res.json()).toMatchObject({
      errors: [{ path: 'url', message: expect.stringMatching(/^url /) }],
    });
  });

  it('refuses at delivery a name that now resolves to loopback', async () => {
    const receiver = await startReceiver();
    const port = new URL(receiver.url).port;
    const table: Record<string, string[]> = {
      'hooks.example.test': ['93.184.216.34'],
    };
    const notify = await openTestNotify({
      dataDir: await tempDataDir(),
      production: true,
      resolve: resolver(table),
    });
    const created = await send(notify, 'POST', '/subscribe', {
      url: `http://hooks.example.test:${port}/hook`,
    });
    const { id } = (await created.json()) as { id: string };
    table['hooks.example.test'] = ['127.0.0.1'];

    const res = await push(notify, personnage('Kabuto', 71));

    expect(created.status).toBe(201);
    expect(res.status).toBe(503);
    expect(receiver.calls).toHaveLength(0);
    expect((await view(notify, id)).lastError).toMatch(
      /^refused: resolves to a loopback address/,
    );
  });
});

describe('notify in local mode', () => {
  it('delivers to a name that resolves to loopback', async () => {
    const receiver = await startReceiver();
    const port = new URL(receiver.url).port;
    const notify = await openTestNotify({
      dataDir: await tempDataDir(),
      resolve: resolver({ 'hooks.localhost.test': ['127.0.0.1'] }),
    });
    const created = await send(notify, 'POST', '/subscribe', {
      url: `http://hooks.localhost.test:${port}/hook`,
    });

    const res = await push(notify, personnage('Neji', 83));

    expect(created.status).toBe(201);
    expect(res.status).toBe(204);
    expect(receiver.calls).toHaveLength(1);
  });
});
