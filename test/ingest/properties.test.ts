import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  GITHUB_SECRET,
  type RawRequest,
  testIngest,
  viaApp,
  WHSEC,
} from './support.js';

// Header values are Latin-1 without control characters; Headers throws
// on anything else, before ingest could see it.
const API_KEY = 'a-key-0123456789';

const headerChar = fc
  .integer({ min: 0x20, max: 0xff })
  .filter((code) => code !== 0x7f)
  .map((code) => String.fromCharCode(code));
const printable = fc.string({ unit: headerChar, maxLength: 40 });
const maybe = <T>(arb: fc.Arbitrary<T>) =>
  fc.option(arb, { nil: undefined, freq: 2 });

const contentType = fc.oneof(
  fc.constantFrom(
    'application/json',
    'application/json; charset=utf-8',
    'application/json; charset=latin1',
    'application/cloudevents+json',
    'text/plain',
    'application/json;;',
    'application/json; charset="',
    'application/json; charset',
    '/',
    'application/',
  ),
  printable,
);

const headers = fc.record(
  {
    'content-type': contentType,
    'content-encoding': fc.oneof(
      fc.constantFrom('identity', 'gzip', ', ,', 'IDENTITY'),
      printable,
    ),
    'idempotency-key': printable,
    'webhook-id': printable,
    'webhook-timestamp': fc.oneof(fc.nat().map(String), printable),
    'webhook-signature': fc.oneof(
      printable.map((s) => `v1,${s}`),
      printable,
    ),
    'x-hub-signature-256': fc.oneof(
      fc.stringMatching(/^sha256=[0-9a-f]{64}$/),
      printable,
    ),
    authorization: fc.oneof(
      printable.map((s) => `Bearer ${s}`),
      printable,
    ),
    'x-api-key': printable,
    origin: printable,
  },
  { requiredKeys: [] },
);

const personnageLike = fc
  .record(
    {
      nom: fc.oneof(fc.string({ unit: 'binary' }), fc.anything()),
      score: fc.oneof(
        fc.integer({ min: -10, max: 110 }),
        fc.double(),
        fc.string(),
        fc.anything(),
      ),
      __proto__: fc.anything(),
      constructor: fc.anything(),
    },
    { requiredKeys: [] },
  )
  .map((value) => JSON.stringify(value) ?? 'null');

const body = fc.oneof(
  personnageLike,
  fc.json(),
  fc.string({ unit: 'binary' }),
  fc.uint8Array({ maxLength: 300 }),
  personnageLike.chain((text) =>
    fc.nat({ max: text.length }).map((cut) => text.slice(0, cut)),
  ),
);

// Close to a good request, so that the runs also reach publishing.
const nearlyGood: fc.Arbitrary<RawRequest> = fc.record({
  headers: fc.record(
    {
      'content-type': fc.constant('application/json'),
      'idempotency-key': fc.stringMatching(/^[a-z0-9-]{1,12}$/),
      // The key the credentialed ingest below accepts: past its auth too.
      'x-api-key': fc.constant(API_KEY),
    },
    { requiredKeys: ['content-type'] },
  ),
  body: fc
    .record({
      nom: fc.string({ unit: 'grapheme', minLength: 0, maxLength: 110 }),
      score: fc.integer({ min: -5, max: 105 }),
    })
    .map((value) => JSON.stringify(value)),
});

const anyRequest: fc.Arbitrary<RawRequest> = fc.record({
  method: fc.constantFrom('POST', 'POST', 'POST', 'GET', 'PUT', 'OPTIONS'),
  path: fc.oneof(
    fc.constantFrom('/webhook/personnage', '/webhook/personnage/', '/healthz'),
    fc.webPath(),
  ),
  headers: headers.map(
    (h) =>
      Object.fromEntries(
        Object.entries(h).filter(([, v]) => v !== undefined),
      ) as Record<string, string>,
  ),
  body: maybe(body),
  chunked: fc.boolean(),
});

const request = fc.oneof(anyRequest, anyRequest, nearlyGood);

describe.each([
  // What 400 random runs always reached, run after run (40 seeds each):
  // routing, validation and publishing, and the auth layer when it is on.
  ['open', {}, [200, 202, 404, 405, 422]],
  [
    'with every credential and CORS configured',
    {
      ingestApiKeys: [API_KEY],
      webhookSecrets: [WHSEC],
      githubWebhookSecrets: [GITHUB_SECRET],
      corsOrigins: ['https://app.example'],
    },
    [200, 202, 204, 401, 404, 405, 422],
  ],
] as const)('ingest %s', (_, config, reached) => {
  it('never answers a random request with a 5xx', async () => {
    const { app, publisher } = testIngest({ config });
    const statuses = new Set<number>();
    await fc.assert(
      fc.asyncProperty(request, async (req) => {
        // GET and HEAD cannot carry a body in the Fetch API.
        const sendable =
          req.method === 'GET' ? { ...req, body: undefined } : req;
        const res = await viaApp(app, sendable);
        statuses.add(res.status);
        expect(res.status).toBeLessThan(500);
        if (res.status >= 400) {
          expect(res.headers.get('content-type')).toBe(
            'application/problem+json',
          );
          expect(JSON.parse(res.text)).toMatchObject({ status: res.status });
        }
      }),
      { numRuns: 400 },
    );
    // The runs reached every layer, publishing included.
    expect([...statuses]).toEqual(expect.arrayContaining([...reached]));
    expect(publisher.messages.length).toBeGreaterThan(0);
  });
});
