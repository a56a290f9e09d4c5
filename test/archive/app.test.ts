import { describe, expect, it } from 'vitest';
import { createArchiveApp } from '../../functions/archive/app.js';
import {
  ACK_STATUSES,
  PUSH_OUTCOMES,
} from '../../functions/archive/disposition.js';
import {
  type ArchiveStore,
  StorageError,
} from '../../functions/archive/entry.js';
import { openFileStore } from '../../functions/archive/file-store.js';
import { toEvent } from '../../functions/core/personnage.js';
import { defer } from '../harness/index.js';
import {
  captureLog,
  entry,
  PUSH_TOKEN,
  pushBody,
  readArchive,
  tempDataDir,
} from './fixtures.js';

const API_KEY = 'archive-api-key-0123456789';
const NOW = new Date('2026-12-03T17:20:00.000Z');
const event = toEvent(
  { nom: 'Naruto', score: 85 },
  '0b6e5f38-7f7c-4c1e-9a55-3f2b8f0d2c11',
  NOW,
);

async function archiveApp(
  options: { apiKey?: string; store?: ArchiveStore } = {},
) {
  const dir = await tempDataDir();
  const { log, lines } = captureLog();
  const store = options.store ?? (await openFileStore({ dir, log }));
  defer(() => store.close());
  const app = createArchiveApp({
    store,
    log,
    pushToken: PUSH_TOKEN,
    apiKey: options.apiKey,
    now: () => NOW,
  });
  const push = (body: string, token = PUSH_TOKEN) =>
    app.request(`/push?token=${token}`, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json' },
    });
  return { app, dir, lines, push };
}

describe('the push table', () => {
  it.each(Object.entries(PUSH_OUTCOMES))(
    '%s answers %o',
    (outcome, { status }) => {
      const acks = ['archived', 'duplicate'].includes(outcome);
      expect(ACK_STATUSES.includes(status)).toBe(acks);
    },
  );
});

describe('POST /push', () => {
  it('refuses a push without the token (401)', async () => {
    const { push, dir } = await archiveApp();

    const res = await push(pushBody(event), 'wrong-token-0123456789');

    expect(res.status).toBe(401);
    expect(await readArchive(dir)).toEqual([]);
  });

  it('archives an event with its message id and times, then answers 204', async () => {
    const { push, dir, lines } = await archiveApp();

    const res = await push(pushBody(event, '42'));

    expect(res.status).toBe(204);
    expect(await readArchive(dir)).toEqual([
      {
        ...event,
        messageId: '42',
        publishTime: '2026-12-03T17:13:52.027Z',
        archivedAt: NOW.toISOString(),
      },
    ]);
    expect(lines.at(-1)).toMatchObject({
      severity: 'INFO',
      decision: 'archived',
      eventId: event.id,
      messageId: '42',
    });
  });

  it('acks a redelivered message without writing it twice', async () => {
    const { push, dir, lines } = await archiveApp();
    await push(pushBody(event, '42'));

    const res = await push(pushBody(event, '42'));

    expect(res.status).toBe(204);
    expect(await readArchive(dir)).toHaveLength(1);
    expect(lines.at(-1)).toMatchObject({
      decision: 'duplicate',
      eventId: event.id,
    });
  });

  it('acks a duplicate publish (same event, new messageId) once', async () => {
    const { push, dir } = await archiveApp();

    const statuses = await Promise.all(
      ['1', '2', '3', '1', '2'].map(
        async (id) => (await push(pushBody(event, id))).status,
      ),
    );

    expect(statuses).toEqual([204, 204, 204, 204, 204]);
    expect(await readArchive(dir)).toHaveLength(1);
  });

  it('takes an event id in upper case as the same event', async () => {
    const { push, dir } = await archiveApp();
    await push(pushBody({ ...event, id: event.id.toUpperCase() }, '1'));

    const res = await push(pushBody(event, '2'));

    expect(res.status).toBe(204);
    expect((await readArchive(dir)).map((e) => e.id)).toEqual([event.id]);
  });

  it.each([
    ['a body that is not JSON', 400, 'not json', undefined],
    ['a body that is not a push', 400, JSON.stringify({ hello: 1 }), undefined],
    ['data that is not JSON', 422, pushBody('{oops', '7'), '7'],
    [
      'data that is not a personnage event',
      422,
      pushBody({ ...event, score: 'high' }, '8'),
      '8',
    ],
  ])(
    'refuses %s (%i) for the dead-letter topic',
    async (_, status, body, messageId) => {
      const { push, dir, lines } = await archiveApp();

      const res = await push(body);

      expect(res.status).toBe(status);
      expect(res.headers.get('content-type')).toBe('application/problem+json');
      expect(await readArchive(dir)).toEqual([]);
      expect(lines.filter((l) => l.decision === 'rejected')).toHaveLength(1);
      expect(lines.at(-1)?.decision).toBe('rejected');
      expect(lines.at(-1)?.messageId).toBe(messageId);
    },
  );

  it('refuses an archived event id with other content (409)', async () => {
    const { push, dir, lines } = await archiveApp();
    await push(pushBody(event, '1'));

    const res = await push(pushBody({ ...event, nom: 'Sasuke' }, '2'));

    expect(res.status).toBe(409);
    expect(await readArchive(dir)).toHaveLength(1);
    expect(lines.at(-1)).toMatchObject({
      severity: 'ERROR',
      decision: 'rejected',
      outcome: 'conflict',
      messageId: '2',
    });
  });

  it('answers 503 problem+json when storage fails, and logs why', async () => {
    const failing: ArchiveStore = {
      append: () =>
        Promise.reject(
          new StorageError(
            'disk full',
            Object.assign(new Error('ENOSPC'), { code: 'ENOSPC' }),
          ),
        ),
      list: () => Promise.reject(new Error('unused')),
      close: async () => undefined,
    };
    const { push, lines } = await archiveApp({ store: failing });

    const res = await push(pushBody(event, '9'));

    expect(res.status).toBe(503);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect(lines.at(-1)).toMatchObject({
      severity: 'ERROR',
      decision: 'retry',
      code: 'ENOSPC',
      messageId: '9',
    });
  });

  it('never logs the payload or the token', async () => {
    const { push, lines } = await archiveApp();

    await push(pushBody(event, '1'));
    await push(pushBody({ ...event, score: 'x' }, '2'));

    const text = JSON.stringify(lines);
    expect(text).not.toContain('Naruto');
    expect(text).not.toContain(PUSH_TOKEN);
  });
});

describe('GET /personnages', () => {
  async function seeded(count: number, apiKey?: string) {
    const ctx = await archiveApp({ apiKey });
    for (let i = 0; i < count; i++) {
      const e = entry(i);
      const res = await ctx.push(
        pushBody(toEvent({ nom: e.nom, score: e.score }, e.id, NOW), String(i)),
      );
      expect(res.status).toBe(204);
    }
    return ctx;
  }

  it('pages with limit and an opaque cursor', async () => {
    const { app } = await seeded(5);

    const first = await app.request('/personnages?limit=3');
    const body = (await first.json()) as {
      items: { score: number }[];
      nextCursor: string;
    };
    const second = await app.request(
      `/personnages?limit=3&cursor=${body.nextCursor}`,
    );

    expect(first.status).toBe(200);
    expect(body.items.map((e) => e.score)).toEqual([0, 1, 2]);
    expect(await second.json()).toMatchObject({
      items: [{ score: 3 }, { score: 4 }],
      nextCursor: null,
    });
  });

  it('filters by niveau and minScore', async () => {
    const { app } = await seeded(101);

    const res = await app.request(
      `/personnages?niveau=${encodeURIComponent('légendaire')}&minScore=95`,
    );

    const body = (await res.json()) as { items: { score: number }[] };
    expect(body.items.map((e) => e.score)).toEqual([95, 96, 97, 98, 99, 100]);
  });

  it.each([
    ['limit=0', 'limit'],
    ['limit=1001', 'limit'],
    ['limit=ten', 'limit'],
    ['minScore=101', 'minScore'],
    ['minScore=-1', 'minScore'],
    ['niveau=maître', 'niveau'],
    ['cursor=bogus', 'cursor'],
  ])('answers 422 naming the parameter for %s', async (query, param) => {
    const { app } = await seeded(0);

    const res = await app.request(`/personnages?${query}`);

    expect(res.status).toBe(422);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect(await res.json()).toMatchObject({ errors: [{ path: param }] });
  });

  it.each([
    ['no key', 401, {}],
    ['a wrong key', 401, { 'x-api-key': 'wrong' }],
    ['the key as Bearer', 200, { authorization: `Bearer ${API_KEY}` }],
    ['the key in X-API-Key', 200, { 'x-api-key': API_KEY }],
  ])(
    'with an API key configured, answers %s with %i',
    async (_, status, headers) => {
      const { app } = await seeded(0, API_KEY);

      const res = await app.request('/personnages', { headers });

      expect(res.status).toBe(status);
      if (status === 401) {
        expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
      }
    },
  );
});

describe('GET /healthz', () => {
  it('answers 200 with a small JSON body', async () => {
    const { app } = await archiveApp();

    const res = await app.request('/healthz');

    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok', function: 'archive' });
  });
});
