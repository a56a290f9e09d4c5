import { beforeAll, describe, expect, it } from 'vitest';
import { startFunctionServer } from '../harness/index.js';
import { BAD_REQUESTS, expectRefused } from './bad-requests.js';
import {
  type RawRequest,
  type RawResponse,
  testIngest,
  viaApp,
  viaHttp,
} from './support.js';

it('has at least 40 bad requests', () => {
  expect(BAD_REQUESTS.length).toBeGreaterThanOrEqual(40);
  const names = BAD_REQUESTS.map((b) => b.name);
  expect(new Set(names).size).toBe(names.length);
});

describe.each([
  ['app.request()', 'app'],
  ['@hono/node-server', 'http'],
] as const)('through %s', (_, entry) => {
  const { app, publisher } = testIngest();
  let send: (req: RawRequest) => Promise<RawResponse>;

  beforeAll(async () => {
    if (entry === 'app') {
      send = (req) => viaApp(app, req);
    } else {
      const server = await startFunctionServer(app);
      send = (req) => viaHttp(server.url, req);
    }
  });

  it.each(BAD_REQUESTS)('refuses $name ($status)', async (bad) => {
    expectRefused(await send(bad.request), bad);
    expect(publisher.calls).toBe(0);
  });

  it('still serves, and has published nothing', async () => {
    const res = await send({ method: 'GET', path: '/healthz' });
    expect(res.status).toBe(200);
    expect(publisher.calls).toBe(0);
  });
});
