import { describe, expect, it } from 'vitest';
import { personnageEvent } from '../../functions/core/personnage.js';
import { startFunctionServer } from '../harness/index.js';
import { FAMILY } from './bad-requests.js';
import {
  goku,
  post,
  publishedEvents,
  type RawRequest,
  testIngest,
  viaApp,
  viaHttp,
} from './support.js';

interface Odd {
  name: string;
  request: RawRequest;
  nom: string;
  score: number;
}

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);
const withType = (type: string): RawRequest =>
  post(goku, { 'content-type': type });

/** Unusual requests that are still good: each publishes one clean event. */
const ODD_BUT_GOOD: Odd[] = [
  {
    name: 'a UTF-8 byte order mark',
    request: post(Buffer.concat([BOM, Buffer.from(goku)])),
    nom: 'Son Goku',
    score: 95,
  },
  {
    name: 'charset=UTF-8',
    request: withType('application/json; charset=UTF-8'),
    nom: 'Son Goku',
    score: 95,
  },
  {
    name: 'a quoted charset',
    request: withType('application/json;charset="utf-8"'),
    nom: 'Son Goku',
    score: 95,
  },
  {
    name: 'the utf8 label',
    request: withType('application/json; charset=utf8'),
    nom: 'Son Goku',
    score: 95,
  },
  {
    name: 'an upper-case media type',
    request: withType('APPLICATION/JSON'),
    nom: 'Son Goku',
    score: 95,
  },
  {
    name: 'a +json media type',
    request: withType('application/vnd.relais.personnage+json'),
    nom: 'Son Goku',
    score: 95,
  },
  {
    name: 'extra parameters',
    request: withType('application/json; profile=x; charset=utf-8'),
    nom: 'Son Goku',
    score: 95,
  },
  {
    name: 'Content-Encoding: identity',
    request: post(goku, { 'content-encoding': 'identity' }),
    nom: 'Son Goku',
    score: 95,
  },
  {
    name: 'a trailing slash',
    request: { ...post(goku), path: '/webhook/personnage/' },
    nom: 'Son Goku',
    score: 95,
  },
  {
    name: 'unknown fields',
    request: post(
      '{"nom":"Bulma","score":60,"planet":"Terre","tags":[1,{"x":null}]}',
    ),
    nom: 'Bulma',
    score: 60,
  },
  {
    name: 'a __proto__ key',
    request: post('{"nom":"Bulma","score":60,"__proto__":{"polluted":"yes"}}'),
    nom: 'Bulma',
    score: 60,
  },
  {
    name: 'a constructor key',
    request: post(
      '{"nom":"Bulma","score":60,"constructor":{"prototype":{"polluted":"yes"}}}',
    ),
    nom: 'Bulma',
    score: 60,
  },
  {
    name: 'an escaped key',
    request: post('{"n\\u006fm":"Bulma","score":60}'),
    nom: 'Bulma',
    score: 60,
  },
  {
    name: 'a score of 50.0',
    request: post('{"nom":"Krilin","score":50.0}'),
    nom: 'Krilin',
    score: 50,
  },
  {
    name: 'a score of 1e2',
    request: post('{"nom":"Krilin","score":1e2}'),
    nom: 'Krilin',
    score: 100,
  },
  {
    name: 'a score of -0',
    request: post('{"nom":"Krilin","score":-0}'),
    nom: 'Krilin',
    score: 0,
  },
  {
    name: 'a nom padded with spaces',
    request: post('{"nom":"  Piccolo \\t","score":80}'),
    nom: 'Piccolo',
    score: 80,
  },
  {
    name: 'a nom of 100 letters',
    request: post(JSON.stringify({ nom: 'a'.repeat(100), score: 1 })),
    nom: 'a'.repeat(100),
    score: 1,
  },
  {
    name: 'a nom of 99 letters and an emoji',
    request: post(JSON.stringify({ nom: `${'a'.repeat(99)}😀`, score: 1 })),
    nom: `${'a'.repeat(99)}😀`,
    score: 1,
  },
  {
    name: 'a nom of 20 family emoji (100 code points)',
    request: post(JSON.stringify({ nom: FAMILY.repeat(20), score: 1 })),
    nom: FAMILY.repeat(20),
    score: 1,
  },
  {
    name: 'a nom in Japanese',
    request: post('{"nom":"孫悟空","score":99}'),
    nom: '孫悟空',
    score: 99,
  },
  {
    name: 'deeply nested unknown data',
    request: post(
      `{"nom":"Gohan","score":70,"x":${'['.repeat(10_000)}${']'.repeat(10_000)}}`,
    ),
    nom: 'Gohan',
    score: 70,
  },
  {
    name: 'a body of exactly 64 KiB',
    request: post(`{"nom":"Trunks","score":75}${' '.repeat(65_536 - 28)}`),
    nom: 'Trunks',
    score: 75,
  },
  {
    name: 'a chunked body',
    request: { ...post(goku), chunked: true },
    nom: 'Son Goku',
    score: 95,
  },
];

describe.each([
  ['app.request()', 'app'],
  ['@hono/node-server', 'http'],
] as const)('through %s', (_, entry) => {
  it.each(ODD_BUT_GOOD)('accepts $name', async (odd) => {
    const { app, publisher } = testIngest();
    const res =
      entry === 'app'
        ? await viaApp(app, odd.request)
        : await viaHttp((await startFunctionServer(app)).url, odd.request);

    expect(res.status, res.text).toBe(202);
    const [event, ...more] = publishedEvents(publisher);
    expect(more).toEqual([]);
    expect(personnageEvent.parse(event)).toMatchObject({
      nom: odd.nom,
      score: odd.score,
    });
    expect(Object.keys(event ?? {}).sort()).toEqual([
      'id',
      'niveau',
      'nom',
      'receivedAt',
      'score',
      'type',
    ]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
