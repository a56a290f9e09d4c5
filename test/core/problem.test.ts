import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../functions/core/log.js';
import {
  notFound,
  onError,
  Problem,
  problems,
} from '../../functions/core/problem.js';

function appThrowing(err: Error) {
  const app = new Hono();
  app.post('/x', bodyLimit({ maxSize: 4 }), async (c) => {
    await c.req.text();
    throw err;
  });
  app.get('/items/:id', (c) => c.text('ok'));
  app.notFound(notFound({ '/x': ['POST'], '/items/:id': ['GET'] }));
  app.onError(onError(silentLogger));
  return app;
}

async function answer(app: Hono, path: string, init?: RequestInit) {
  const res = await app.request(path, init);
  return { res, body: (await res.json()) as Record<string, unknown> };
}

describe('onError', () => {
  it.each([
    [problems.malformedJson(), 400, 'malformed-json'],
    [problems.validation('bad', []), 422, 'validation'],
    [problems.unavailable('down', 5), 503, 'unavailable'],
    [new Error('secret internals at /srv/x.ts:12'), 500, 'internal'],
  ])('answers %s with its status and type', async (err, status, slug) => {
    const { res, body } = await answer(appThrowing(err), '/x', {
      method: 'POST',
      body: '{}',
    });
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect(body).toMatchObject({ status, type: `urn:relais:problem:${slug}` });
    expect(JSON.stringify(body)).not.toContain('/srv/x.ts');
  });

  it('keeps the headers a problem carries', async () => {
    const { res } = await answer(
      appThrowing(problems.unavailable('down', 7)),
      '/x',
      { method: 'POST', body: '{}' },
    );
    expect(res.headers.get('retry-after')).toBe('7');
  });

  it('turns a body-limit rejection into a 413 problem', async () => {
    const { res, body } = await answer(
      appThrowing(new Error('unreached')),
      '/x',
      {
        method: 'POST',
        body: '0123456789',
      },
    );
    expect(res.status).toBe(413);
    expect(body.type).toBe('urn:relais:problem:too-large');
  });

  it('lists field errors for validation', () => {
    const p = problems.validation('bad', [{ path: 'nom', message: 'empty' }]);
    expect(p.toBody().errors).toEqual([{ path: 'nom', message: 'empty' }]);
    expect(new Problem(400, 'x', 't', 'd').toBody()).not.toHaveProperty(
      'errors',
    );
  });
});

describe('notFound', () => {
  it('answers a known path with another method 405 and Allow', async () => {
    const { res, body } = await answer(appThrowing(new Error()), '/x');
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST');
    expect(body.type).toBe('urn:relais:problem:method-not-allowed');
  });

  it('matches parameterised paths', async () => {
    const { res } = await answer(appThrowing(new Error()), '/items/42', {
      method: 'DELETE',
    });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET');
  });

  it('answers an unknown path 404 as a problem', async () => {
    const { res, body } = await answer(appThrowing(new Error()), '/nowhere');
    expect(res.status).toBe(404);
    expect(body.type).toBe('urn:relais:problem:not-found');
  });
});
