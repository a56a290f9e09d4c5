import { request } from 'node:http';
import { expect, it } from 'vitest';
import { startFunctionServer, waitFor } from '../harness/index.js';
import { logSink, testIngest, viaHttp, WEBHOOK_PATH } from './support.js';

it.each([
  ['a chunked body', {}],
  ['a body shorter than its Content-Length', { 'content-length': '1000' }],
])(
  'takes %s cut off by the client calmly (400, a warning)',
  async (_, extra) => {
    const sink = logSink();
    const { app, publisher } = testIngest({ log: sink.log });
    const server = await startFunctionServer(app);
    const outgoing = request(new URL(WEBHOOK_PATH, server.url), {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...extra },
    });
    outgoing.on('error', () => undefined);

    outgoing.write('{"nom":"Son Go');
    await new Promise((resolve) => setTimeout(resolve, 50));
    outgoing.destroy();

    await waitFor(() => sink.text().includes('unreadable-body'));
    expect(sink.text()).not.toContain('"severity":"ERROR"');
    expect(publisher.calls).toBe(0);
    const health = await viaHttp(server.url, {
      method: 'GET',
      path: '/healthz',
    });
    expect(health.status).toBe(200);
  },
);
