import { describe, expect, it } from 'vitest';
import type { FunctionRuntime } from '../../functions/core/runtime.js';
import {
  envelope,
  openTestNotify,
  PUSH_TOKEN,
  personnage,
  subscribe,
  tempDataDir,
} from './fixtures.js';

interface Case {
  name: string;
  method: string;
  path: string;
  body?: string;
  contentType?: string;
  status: number;
  /** The field paths the problem must name, in order. */
  fields?: string[];
  allow?: string;
}

const URL_OK = 'http://127.0.0.1:9/hook';
const json = (value: unknown) => JSON.stringify(value);
const push = `/push?token=${PUSH_TOKEN}`;
const badEvent = { ...personnage('Naruto', 85), score: 'lots' };

const cases: Case[] = [
  {
    name: 'a push without token',
    method: 'POST',
    path: '/push',
    body: '{}',
    status: 401,
  },
  {
    name: 'a push with a wrong token',
    method: 'POST',
    path: '/push?token=nope-nope-nope-nope',
    body: '{}',
    status: 401,
  },
  {
    name: 'a push that is not JSON',
    method: 'POST',
    path: push,
    body: '{',
    status: 400,
  },
  {
    name: 'a push without a message',
    method: 'POST',
    path: push,
    body: json({ subscription: 's' }),
    status: 400,
    fields: ['message'],
  },
  {
    name: 'a push whose event is invalid',
    method: 'POST',
    path: push,
    body: json(envelope(badEvent as never)),
    status: 422,
    fields: ['message.data.score'],
  },
  {
    name: 'a push whose data is not UTF-8',
    method: 'POST',
    path: push,
    body: json({
      ...envelope(personnage('Naruto', 85)),
      message: {
        ...envelope(personnage('Naruto', 85)).message,
        // "Naruto" with an é in Latin-1 (0xE9), invalid in UTF-8.
        data: Buffer.from([
          ...Buffer.from('{"nom":"Naru'),
          0xe9,
          ...Buffer.from('to"}'),
        ]).toString('base64'),
      },
    }),
    status: 422,
    fields: ['message.data'],
  },
  {
    name: 'GET on /push',
    method: 'GET',
    path: push,
    status: 405,
    allow: 'POST',
  },
  {
    name: 'a subscription that is not JSON',
    method: 'POST',
    path: '/subscribe',
    body: 'url=x',
    contentType: 'text/plain',
    status: 415,
  },
  {
    name: 'malformed JSON',
    method: 'POST',
    path: '/subscribe',
    body: '{"url":',
    status: 400,
  },
  {
    name: 'an array body',
    method: 'POST',
    path: '/subscribe',
    body: '[]',
    status: 422,
    fields: ['(body)'],
  },
  {
    name: 'neither url nor enabled',
    method: 'POST',
    path: '/subscribe',
    body: '{}',
    status: 422,
    fields: ['url', 'enabled'],
  },
  {
    name: 'a url that is a number',
    method: 'POST',
    path: '/subscribe',
    body: json({ url: 42 }),
    status: 422,
    fields: ['url'],
  },
  {
    name: 'a url that is not a URL',
    method: 'POST',
    path: '/subscribe',
    body: json({ url: 'not a url' }),
    status: 422,
    fields: ['url'],
  },
  {
    name: 'an ftp url',
    method: 'POST',
    path: '/subscribe',
    body: json({ url: 'ftp://example.com/x' }),
    status: 422,
    fields: ['url'],
  },
  {
    name: 'an unknown niveau',
    method: 'POST',
    path: '/subscribe',
    body: json({ url: URL_OK, niveaux: ['maître'] }),
    status: 422,
    fields: ['niveaux.0'],
  },
  {
    name: 'empty niveaux',
    method: 'POST',
    path: '/subscribe',
    body: json({ url: URL_OK, niveaux: [] }),
    status: 422,
    fields: ['niveaux'],
  },
  {
    name: 'a misspelt field',
    method: 'POST',
    path: '/subscribe',
    body: json({ url: URL_OK, niveau: ['expert'] }),
    status: 422,
    fields: ['niveau'],
  },
  {
    name: 'enabled that is not a boolean',
    method: 'POST',
    path: '/subscribe',
    body: json({ enabled: 'yes' }),
    status: 422,
    fields: ['enabled'],
  },
  {
    name: 'a body over 16 KiB',
    method: 'POST',
    path: '/subscribe',
    body: json({ url: `${URL_OK}?${'x'.repeat(20_000)}` }),
    status: 413,
  },
  {
    name: 'PUT on /subscribe',
    method: 'PUT',
    path: '/subscribe',
    body: '{}',
    status: 405,
    allow: 'GET, POST',
  },
  {
    name: 'an unknown subscriber (GET)',
    method: 'GET',
    path: '/subscribe/sub_nobody',
    status: 404,
  },
  {
    name: 'an unknown subscriber (PATCH)',
    method: 'PATCH',
    path: '/subscribe/sub_nobody',
    body: json({ enabled: true }),
    status: 404,
  },
  {
    name: 'an unknown subscriber (DELETE)',
    method: 'DELETE',
    path: '/subscribe/sub_nobody',
    status: 404,
  },
  {
    name: 'PATCH without enabled',
    method: 'PATCH',
    path: '/subscribe/:known',
    body: '{}',
    status: 422,
    fields: ['enabled'],
  },
  {
    name: 'PATCH with enabled 1',
    method: 'PATCH',
    path: '/subscribe/:known',
    body: json({ enabled: 1 }),
    status: 422,
    fields: ['enabled'],
  },
  {
    name: 'PATCH with a url',
    method: 'PATCH',
    path: '/subscribe/:known',
    body: json({ enabled: true, url: URL_OK }),
    status: 422,
    fields: ['url'],
  },
  {
    name: 'POST on /subscribe/:id',
    method: 'POST',
    path: '/subscribe/:known',
    body: '{}',
    status: 405,
    allow: 'GET, PATCH, DELETE',
  },
  {
    name: 'an unknown notifier format',
    method: 'GET',
    path: '/notifier?format=xml',
    status: 422,
    fields: ['format'],
  },
  { name: 'an unknown route', method: 'GET', path: '/nowhere', status: 404 },
];

async function request(notify: FunctionRuntime, c: Case, known: string) {
  const headers: Record<string, string> = {};
  if (c.body !== undefined) {
    headers['content-type'] = c.contentType ?? 'application/json';
  }
  return notify.app.request(c.path.replace(':known', known), {
    method: c.method,
    headers,
    body: c.body,
  });
}

describe('notify answers bad input with a 4xx problem', () => {
  it.each(cases)('answers $status to $name', async (c) => {
    const notify = await openTestNotify({ dataDir: await tempDataDir() });
    const { id } = await subscribe(notify, URL_OK);

    const res = await request(notify, c, id);

    expect(res.status).toBe(c.status);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    const problem = (await res.json()) as {
      status: number;
      errors?: { path: string }[];
    };
    expect(problem.status).toBe(c.status);
    if (c.fields) expect(problem.errors?.map((e) => e.path)).toEqual(c.fields);
    if (c.allow) expect(res.headers.get('allow')).toBe(c.allow);
  });
});
