import { describe, expect, it } from 'vitest';
import { testIngest } from './support.js';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';

function post(app: ReturnType<typeof testIngest>['app'], headers = {}) {
  return app.request('/webhook/personnage', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ nom: 'Sasuke', score: 95 }),
  });
}

describe('trace and request ids', () => {
  it('carries the request trace to archive and notify in a traceparent attribute', async () => {
    const { app, publisher } = testIngest();

    const res = await post(app, {
      traceparent: `00-${TRACE_ID}-00f067aa0ba902b7-01`,
    });

    expect(res.status).toBe(202);
    expect(publisher.messages[0]?.attributes.traceparent).toMatch(
      new RegExp(`^00-${TRACE_ID}-[0-9a-f]{16}-01$`),
    );
  });

  it('reads Cloud Run’s X-Cloud-Trace-Context as well', async () => {
    const { app, publisher } = testIngest();

    await post(app, { 'x-cloud-trace-context': `${TRACE_ID}/1;o=1` });

    expect(publisher.messages[0]?.attributes.traceparent).toContain(TRACE_ID);
  });

  it('publishes no traceparent for a request without a trace', async () => {
    const { app, publisher } = testIngest();

    await post(app);

    expect(publisher.messages[0]?.attributes).not.toHaveProperty('traceparent');
  });

  it('echoes a sane X-Request-Id, and makes one otherwise', async () => {
    const { app } = testIngest();

    const given = await post(app, { 'x-request-id': 'req-42' });
    const made = await post(app, { 'x-request-id': 'not sane <>' });

    expect(given.headers.get('x-request-id')).toBe('req-42');
    expect(made.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });
});
