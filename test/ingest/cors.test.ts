import { describe, expect, it } from 'vitest';
import { expectProblem, goku, post, testIngest, viaApp } from './support.js';

const ORIGIN = 'https://app.relais.example';

const preflight = (origin: string) => ({
  method: 'OPTIONS',
  headers: {
    origin,
    'access-control-request-method': 'POST',
    'access-control-request-headers':
      'content-type, idempotency-key, x-api-key',
  },
});

describe('with CORS origins configured', () => {
  const { app } = testIngest({ config: { corsOrigins: [ORIGIN] } });

  it('answers a preflight from an allowed origin', async () => {
    const res = await viaApp(app, preflight(ORIGIN));
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    expect(res.headers.get('access-control-allow-methods')).toContain('POST');
    const allowed = res.headers.get('access-control-allow-headers') ?? '';
    for (const header of ['Content-Type', 'Idempotency-Key', 'X-API-Key']) {
      expect(allowed).toContain(header);
    }
    expect(res.headers.get('access-control-max-age')).toBe('600');
    expect(res.headers.get('vary')).toContain('Origin');
  });

  it('gives no allowance to another origin', async () => {
    const res = await viaApp(app, preflight('https://evil.example'));
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('lets the allowed origin read a 202 and its replay header', async () => {
    const res = await viaApp(app, post(goku, { origin: ORIGIN }));
    expect(res.status).toBe(202);
    expect(res.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    expect(res.headers.get('access-control-expose-headers')).toContain(
      'Idempotent-Replayed',
    );
  });

  it('lets the allowed origin read a problem', async () => {
    const res = await viaApp(app, post('{', { origin: ORIGIN }));
    expectProblem(res, 400, 'malformed-json');
    expect(res.headers.get('access-control-allow-origin')).toBe(ORIGIN);
  });
});

describe('without CORS origins (the default)', () => {
  const { app } = testIngest();

  it('sends no CORS header and refuses a preflight as a method (405)', async () => {
    const res = await viaApp(app, preflight(ORIGIN));
    expectProblem(res, 405, 'method-not-allowed');
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    const posted = await viaApp(app, post(goku, { origin: ORIGIN }));
    expect(posted.headers.get('access-control-allow-origin')).toBeNull();
  });
});

it.each(['https://app.example/', 'app.example', 'https://app.example/path'])(
  'refuses to start with %s as an origin',
  (origin) => {
    expect(() => testIngest({ config: { corsOrigins: [origin] } })).toThrow(
      /CORS_ORIGINS item 1/,
    );
  },
);
