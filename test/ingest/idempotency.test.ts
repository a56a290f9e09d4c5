import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { loadConfig } from '../../functions/core/config.js';
import { eventIdFor, uuidV5 } from '../../functions/ingest/event-id.js';
import {
  IdempotencyStore,
  scopedKey,
} from '../../functions/ingest/idempotency.js';
import {
  expectProblem,
  GITHUB_SECRET,
  GOKU,
  githubSignature,
  goku,
  post,
  publishedEvents,
  recordingPublisher,
  standardWebhookHeaders,
  testIngest,
  viaApp,
  WHSEC,
  WHSEC_NEXT,
} from './support.js';

const DNS = '6ba7b810-9dad-11d1-80b4-00c04fd430c8';
const URL_NS = '6ba7b811-9dad-11d1-80b4-00c04fd430c8';

describe('uuidV5', () => {
  it.each([
    [DNS, 'www.example.com', '2ed6657d-e927-568b-95e1-2665a8aea6a2'],
    [
      URL_NS,
      'https://relais.example/évènement',
      '5872998c-5a8a-5b98-8328-6551fdc012b2',
    ],
  ])('matches RFC 9562 (as Python computes it) for %s %s', (ns, name, id) => {
    expect(uuidV5(name, ns)).toBe(id);
  });
});

describe('eventIdFor', () => {
  it('derives a version-5 UUID that the event schema accepts', () => {
    const id = eventIdFor('order-42', GOKU);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab]/);
    expect(z.uuid().parse(id)).toBe(id);
  });

  it('keeps the id of a scoped key and personnage from release to release', () => {
    // As Python's uuid.uuid5 computes it: a changed id defeats the
    // deduplication of a retry that straddles a deploy.
    const id = eventIdFor(scopedKey('anonymous', 'order-42'), GOKU);
    expect(id).toBe('0541340f-e256-5670-baf6-351f4e9fff34');
  });

  it('gives a key and a personnage one id, whatever the field order', () => {
    expect(eventIdFor('order-42', { score: 95, nom: 'Son Goku' })).toBe(
      eventIdFor('order-42', GOKU),
    );
  });

  it.each([
    ['another key', 'order-43', GOKU],
    ['another nom', 'order-42', { ...GOKU, nom: 'Son Gohan' }],
    ['another score', 'order-42', { ...GOKU, score: 96 }],
  ])('gives %s another id', (_, key, personnage) => {
    expect(eventIdFor(key, personnage)).not.toBe(eventIdFor('order-42', GOKU));
  });
});

it('remembers keys for at least 24 hours by default', () => {
  expect(loadConfig({}).idempotencyTtlMs).toBeGreaterThanOrEqual(86_400_000);
});

describe('a request carrying an idempotency key', () => {
  it('is answered again, identically, without a second publish', async () => {
    const { app, publisher } = testIngest();
    const request = post(goku, { 'idempotency-key': 'order-42' });

    const first = await viaApp(app, request);
    const again = await viaApp(app, request);

    expect(first.status).toBe(202);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    expect(again.status).toBe(202);
    expect(again.text).toBe(first.text);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(publisher.calls).toBe(1);
  });

  it('publishes an event id derived from the key and the personnage', async () => {
    const { app, publisher } = testIngest();
    await viaApp(app, post(goku, { 'idempotency-key': 'order-42' }));
    const id = eventIdFor(scopedKey('anonymous', 'order-42'), GOKU);
    expect(publishedEvents(publisher)[0]?.id).toBe(id);
    expect(publisher.messages[0]?.attributes.eventId).toBe(id);
  });

  it('reads a quoted key (structured field) as the bare key', async () => {
    const { app, publisher } = testIngest();
    await viaApp(app, post(goku, { 'idempotency-key': 'order-42' }));
    const again = await viaApp(
      app,
      post(goku, { 'idempotency-key': '"order-42"' }),
    );
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(publisher.calls).toBe(1);
  });

  it('replays a Standard Webhooks retry: same webhook-id, new signature', async () => {
    const { app, publisher } = testIngest({
      config: { webhookSecrets: [WHSEC] },
    });
    const id = 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W';
    const first = await viaApp(
      app,
      post(goku, standardWebhookHeaders(goku, { id })),
    );
    const retry = await viaApp(
      app,
      post(
        goku,
        standardWebhookHeaders(goku, { id, at: new Date(Date.now() + 60_000) }),
      ),
    );
    expect(first.status).toBe(202);
    expect(retry.text).toBe(first.text);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(publisher.calls).toBe(1);
    expect(publishedEvents(publisher)[0]?.id).toBe(
      eventIdFor(scopedKey('standard-webhooks', id), GOKU),
    );
  });

  it('takes webhook-id over Idempotency-Key', async () => {
    const { app, publisher } = testIngest();
    await viaApp(
      app,
      post(goku, { 'idempotency-key': 'explicit', 'webhook-id': 'msg_1' }),
    );
    expect(publishedEvents(publisher)[0]?.id).toBe(
      eventIdFor(scopedKey('anonymous', 'msg_1'), GOKU),
    );
  });

  it('replays a body that differs only in layout', async () => {
    const { app, publisher } = testIngest();
    const key = { 'idempotency-key': 'order-42' };
    await viaApp(app, post(goku, key));
    const again = await viaApp(
      app,
      post('{ "score": 95, "nom": "  Son Goku " }', key),
    );
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(publisher.calls).toBe(1);
  });

  it('refuses the key reused for a different personnage (422)', async () => {
    const { app, publisher } = testIngest();
    const key = { 'idempotency-key': 'order-42' };
    await viaApp(app, post(goku, key));
    const reused = await viaApp(app, post('{"nom":"Vegeta","score":94}', key));
    expectProblem(reused, 422, 'idempotency-key-reused');
    expect(publisher.calls).toBe(1);
  });

  it('shares one publish among concurrent requests', async () => {
    const { app, publisher } = testIngest();
    const request = post(goku, { 'idempotency-key': 'order-42' });

    const answers = await Promise.all(
      Array.from({ length: 20 }, () => viaApp(app, request)),
    );

    expect(publisher.calls).toBe(1);
    expect(new Set(answers.map((a) => a.status))).toEqual(new Set([202]));
    expect(new Set(answers.map((a) => a.text)).size).toBe(1);
    const replayed = answers.filter(
      (a) => a.headers.get('idempotent-replayed') === 'true',
    );
    expect(replayed).toHaveLength(19);
  });

  it('does not remember a failed publish', async () => {
    const publisher = recordingPublisher('fail');
    const { app } = testIngest({ publisher });
    const request = post(goku, { 'idempotency-key': 'order-42' });

    const failed = await Promise.all([
      viaApp(app, request),
      viaApp(app, request),
    ]);
    expect(failed.map((f) => f.status)).toEqual([503, 503]);
    expect(publisher.calls).toBe(1);

    publisher.behaviour = 'ok';
    const retried = await viaApp(app, request);
    expect(retried.status).toBe(202);
    expect(retried.headers.get('idempotent-replayed')).toBeNull();
    const replayed = await viaApp(app, request);
    expect(replayed.headers.get('idempotent-replayed')).toBe('true');
    expect(publisher.calls).toBe(2);
  });

  it('publishes the same event id again after an ingest restart', async () => {
    const request = post(goku, { 'idempotency-key': 'order-42' });
    const before = testIngest();
    await viaApp(before.app, request);
    const after = testIngest(); // a new instance: its window is empty

    const retried = await viaApp(after.app, request);

    expect(retried.headers.get('idempotent-replayed')).toBeNull();
    const [first] = publishedEvents(before.publisher);
    const [second] = publishedEvents(after.publisher);
    // Two publishes, one event id: consumers that deduplicate by id
    // (notify's journal) act once.
    expect(second?.id).toBe(first?.id);
  });

  it('publishes another event for a key reused with another body after a restart', async () => {
    const key = { 'idempotency-key': 'order-42' };
    const before = testIngest();
    await viaApp(before.app, post(goku, key));
    const after = testIngest(); // a new instance: its window is empty

    const reused = await viaApp(
      after.app,
      post('{"nom":"Vegeta","score":94}', key),
    );

    expect(reused.status).toBe(202);
    const [first] = publishedEvents(before.publisher);
    const [second] = publishedEvents(after.publisher);
    // Not one id with two contents, which the archive would refuse as a
    // conflict and so drop the second body after telling its sender 202.
    expect(second?.id).not.toBe(first?.id);
    expect(second).toMatchObject({ nom: 'Vegeta', score: 94 });
  });

  it('gets a fresh random id when it carries no key', async () => {
    const { app, publisher } = testIngest();
    await viaApp(app, post(goku));
    await viaApp(app, post(goku));
    const [a, b] = publishedEvents(publisher);
    expect(publisher.calls).toBe(2);
    expect(a?.id).not.toBe(b?.id);
  });
});

describe('a captured signed request, replayed within the tolerance', () => {
  const NOW = new Date('2026-06-01T12:00:00Z');
  const signed = () =>
    testIngest({ config: { webhookSecrets: [WHSEC] }, now: () => NOW });
  const captured = standardWebhookHeaders(goku, { id: 'msg_1', at: NOW });

  it('is a replay, whatever Idempotency-Key it adds', async () => {
    const { app, publisher } = signed();
    const first = await viaApp(app, post(goku, captured));

    for (const key of ['attacker-1', 'attacker-2', 'msg_2']) {
      const replay = await viaApp(
        app,
        post(goku, { ...captured, 'idempotency-key': key }),
      );
      expect(replay.status).toBe(202);
      expect(replay.text).toBe(first.text);
      expect(replay.headers.get('idempotent-replayed')).toBe('true');
    }
    expect(publisher.calls).toBe(1);
  });

  it('keeps its event id on another instance', async () => {
    const one = signed();
    const other = signed();
    await viaApp(one.app, post(goku, captured));

    await viaApp(
      other.app,
      post(goku, { ...captured, 'idempotency-key': 'attacker-1' }),
    );

    const [first] = publishedEvents(one.publisher);
    const [second] = publishedEvents(other.publisher);
    expect(second?.id).toBe(first?.id);
  });
});

describe('idempotency keys, scoped by the kind of credential', () => {
  const API_KEY = 'key-2026-current-0123456789';
  const OLD_API_KEY = 'key-2025-previous-0123456789';
  const NOW = new Date('2026-06-01T12:00:00Z');
  const guarded = () =>
    testIngest({
      config: {
        ingestApiKeys: [API_KEY, OLD_API_KEY],
        webhookSecrets: [WHSEC_NEXT, WHSEC],
        githubWebhookSecrets: [GITHUB_SECRET],
      },
      now: () => NOW,
    });
  const vegeta = '{"nom":"Vegeta","score":94}';

  it.each([
    ['the same personnage', goku],
    ['another personnage', vegeta],
  ])(
    'keeps apart senders of two kinds using one key for %s',
    async (_, body) => {
      const { app, publisher } = guarded();
      const signed = await viaApp(
        app,
        post(goku, standardWebhookHeaders(goku, { id: 'msg_1', at: NOW })),
      );

      const keyed = await viaApp(
        app,
        post(body, { 'x-api-key': API_KEY, 'idempotency-key': 'msg_1' }),
      );

      expect([signed.status, keyed.status]).toEqual([202, 202]);
      expect(keyed.headers.get('idempotent-replayed')).toBeNull();
      expect(publisher.calls).toBe(2);
      const [a, b] = publishedEvents(publisher);
      expect(a?.id).not.toBe(b?.id);
    },
  );

  it('keeps apart a GitHub sender and an API-key sender', async () => {
    const { app, publisher } = guarded();
    const key = { 'idempotency-key': 'delivery-1' };
    await viaApp(
      app,
      post(goku, { ...key, 'x-hub-signature-256': githubSignature(goku) }),
    );
    const keyed = await viaApp(
      app,
      post(goku, { ...key, 'x-api-key': API_KEY }),
    );
    expect(keyed.headers.get('idempotent-replayed')).toBeNull();
    expect(publisher.calls).toBe(2);
  });

  it('replays a retry sent with the next API key (rotation)', async () => {
    const one = guarded();
    const other = guarded();
    const key = { 'idempotency-key': 'order-42' };
    await viaApp(one.app, post(goku, { ...key, 'x-api-key': OLD_API_KEY }));

    const retry = await viaApp(
      one.app,
      post(goku, { ...key, authorization: `Bearer ${API_KEY}` }),
    );
    await viaApp(other.app, post(goku, { ...key, 'x-api-key': API_KEY }));

    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(one.publisher.calls).toBe(1);
    expect(publishedEvents(other.publisher)[0]?.id).toBe(
      publishedEvents(one.publisher)[0]?.id,
    );
  });

  it('replays a retry signed with the next secret (rotation)', async () => {
    const { app, publisher } = guarded();
    const sign = (secret: string) =>
      standardWebhookHeaders(goku, { id: 'msg_1', at: NOW, secret });
    await viaApp(app, post(goku, sign(WHSEC)));
    const retry = await viaApp(app, post(goku, sign(WHSEC_NEXT)));
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(publisher.calls).toBe(1);
  });

  it('scopes a signed request by its signature, API key or not', async () => {
    const { app, publisher } = guarded();
    const captured = standardWebhookHeaders(goku, { id: 'msg_1', at: NOW });
    await viaApp(app, post(goku, captured));
    const replay = await viaApp(
      app,
      post(goku, { ...captured, 'x-api-key': API_KEY }),
    );
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(publisher.calls).toBe(1);
  });

  it('derives the event id from the scope', async () => {
    const { app, publisher } = guarded();
    await viaApp(
      app,
      post(goku, { 'x-api-key': API_KEY, 'idempotency-key': 'order-42' }),
    );
    expect(publishedEvents(publisher)[0]?.id).toBe(
      eventIdFor(scopedKey('api-key', 'order-42'), GOKU),
    );
  });
});

describe('IdempotencyStore', () => {
  it('refuses a window too large to allocate', () => {
    expect(
      () => new IdempotencyStore({ maxKeys: 50_000_000, ttlMs: 60_000 }),
    ).toThrow(/IDEMPOTENCY_MAX_KEYS must be at most/);
  });

  it('forgets the least recently used key beyond maxKeys', async () => {
    const store = new IdempotencyStore({ maxKeys: 2, ttlMs: 60_000 });
    let runs = 0;
    const work = async () => `answer ${++runs}`;
    await store.once('a', 'p', work);
    await store.once('b', 'p', work);
    await store.once('c', 'p', work);
    expect(store.size).toBe(2);
    expect(await store.once('c', 'p', work)).toEqual({
      body: 'answer 3',
      replayed: true,
    });
    expect(await store.once('a', 'p', work)).toEqual({
      body: 'answer 4',
      replayed: false,
    });
  });

  it('forgets a key once its window has passed', async () => {
    const store = new IdempotencyStore({ maxKeys: 10, ttlMs: 20 });
    let runs = 0;
    const work = async () => `answer ${++runs}`;
    await store.once('a', 'p', work);
    await new Promise((resolve) => setTimeout(resolve, 40));
    expect((await store.once('a', 'p', work)).replayed).toBe(false);
  });
});
