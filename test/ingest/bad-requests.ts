import { gzipSync } from 'node:zlib';
import { expect } from 'vitest';
import {
  expectProblem,
  goku,
  post,
  type RawRequest,
  type RawResponse,
  WEBHOOK_PATH,
} from './support.js';

/** A request ingest must refuse, and how. */
export interface BadRequest {
  name: string;
  request: RawRequest;
  status: number;
  /** The problem's `type` is `urn:relais:problem:<slug>`. */
  slug: string;
  /** `errors[].path` the problem must name, when it is a validation. */
  fields?: string[];
  /** Headers the answer must carry. */
  headers?: Record<string, string>;
}

const MAX = 65_536;
const json = (value: unknown) => JSON.stringify(value);
const utf8Bytes = (...parts: (string | number[])[]) =>
  Buffer.concat(
    parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p))),
  );
const BOM = [0xef, 0xbb, 0xbf];
/** 👨‍👩‍👧: one grapheme, 5 code points, 8 UTF-16 code units. */
export const FAMILY = '\u{1F468}\u200D\u{1F469}\u200D\u{1F467}';
const malformed = (name: string, body: string | Uint8Array): BadRequest => ({
  name,
  request: post(body),
  status: 400,
  slug: 'malformed-json',
});
const badUtf8 = (name: string, body: Uint8Array): BadRequest => ({
  name,
  request: post(body),
  status: 400,
  slug: 'invalid-utf8',
});
const invalid = (name: string, body: string, fields: string[]): BadRequest => ({
  name,
  request: post(body),
  status: 422,
  slug: 'validation',
  fields,
});
const unsupported = (
  name: string,
  headers: Record<string, string>,
  slug = 'unsupported-media-type',
  body: string | Uint8Array = goku,
): BadRequest => ({
  name,
  request: { body, headers },
  status: 415,
  slug,
});
const wrongMethod = (method: string): BadRequest => ({
  name: `${method} on the webhook`,
  request: { method, path: WEBHOOK_PATH },
  status: 405,
  slug: 'method-not-allowed',
  headers: { allow: 'POST' },
});

/**
 * At least 40 requests that ingest refuses, whatever the entry point, and
 * for none of which it publishes anything. Run with the default settings:
 * no credentials required, MAX_BODY_BYTES = 64 KiB.
 */
export const BAD_REQUESTS: BadRequest[] = [
  // Not JSON at all: 400.
  malformed('an empty body', ''),
  malformed('a whitespace-only body', ' \r\n\t '),
  malformed('a truncated object', '{"nom":"Son Goku","score":'),
  malformed('single quotes', "{'nom':'Son Goku','score':95}"),
  malformed('a trailing comma', '{"nom":"Son Goku","score":95,}'),
  malformed('a comment', '{"nom":"Son Goku" /* hi */,"score":95}'),
  malformed('NaN', '{"nom":"Son Goku","score":NaN}'),
  malformed('unquoted keys', '{nom:"Son Goku",score:95}'),
  malformed('a raw newline in a string', '{"nom":"Son\nGoku","score":95}'),
  malformed('a raw NUL in a string', '{"nom":"Son\u0000Goku","score":95}'),
  malformed('two JSON texts', `${goku}${goku}`),
  malformed('a byte order mark before garbage', utf8Bytes(BOM, '{oops')),
  malformed('two byte order marks', utf8Bytes(BOM, BOM, goku)),
  malformed('a non-breaking space as whitespace', `\u00a0${goku}`),
  malformed('unclosed deep nesting', '['.repeat(20_000)),
  // Not UTF-8: 400.
  badUtf8('a Latin-1 é', utf8Bytes('{"nom":"Ren', [0xe9], '","score":9}')),
  badUtf8('a stray 0xFF byte', utf8Bytes('{"nom":"a', [0xff], '","score":9}')),
  badUtf8(
    'an overlong /',
    utf8Bytes('{"nom":"a', [0xc0, 0xaf], '","score":9}'),
  ),
  badUtf8(
    'a truncated €',
    utf8Bytes('{"nom":"a', [0xe2, 0x82], '","score":9}'),
  ),
  badUtf8(
    'an encoded surrogate',
    utf8Bytes('{"nom":"', [0xed, 0xa0, 0x80], '"}'),
  ),
  badUtf8('UTF-16LE with its BOM', Buffer.from(`\ufeff${goku}`, 'utf16le')),
  // JSON, but not an object: 422.
  invalid('null', 'null', ['(body)']),
  invalid('an empty array', '[]', ['(body)']),
  invalid('an array holding a valid personnage', `[${goku}]`, ['(body)']),
  invalid('a string', '"Son Goku"', ['(body)']),
  invalid('a number', '95', ['(body)']),
  invalid('true', 'true', ['(body)']),
  // An object that breaks the schema: 422 naming every bad field.
  invalid('an empty object', '{}', ['nom', 'score']),
  invalid('no nom', json({ score: 95 }), ['nom']),
  invalid('both fields null', json({ nom: null, score: null }), [
    'nom',
    'score',
  ]),
  invalid('a number as nom', json({ nom: 42, score: 95 }), ['nom']),
  invalid('a score as a string', json({ nom: 'Goku', score: '95' }), ['score']),
  invalid('a boolean score', json({ nom: 'Goku', score: true }), ['score']),
  invalid('a float score', '{"nom":"Goku","score":9.5}', ['score']),
  invalid('a score of 1e400 (Infinity)', '{"nom":"Goku","score":1e400}', [
    'score',
  ]),
  invalid(
    'a 30-digit integer score',
    '{"nom":"Goku","score":123456789012345678901234567890}',
    ['score'],
  ),
  invalid('a negative score', '{"nom":"Goku","score":-1}', ['score']),
  invalid('a score of 101', '{"nom":"Goku","score":101}', ['score']),
  invalid('a whitespace-only nom', json({ nom: ' \t\n ', score: 9 }), ['nom']),
  invalid(
    'a nom of 101 ASCII letters',
    json({ nom: 'a'.repeat(101), score: 9 }),
    ['nom'],
  ),
  // Length is counted in code points: 100 letters and an emoji are 101.
  invalid(
    'a nom of 100 letters and an emoji',
    json({ nom: `${'a'.repeat(100)}😀`, score: 9 }),
    ['nom'],
  ),
  invalid(
    'a nom of 21 family emoji (5 code points each)',
    json({ nom: FAMILY.repeat(21), score: 9 }),
    ['nom'],
  ),
  invalid('a nom with a lone surrogate', '{"nom":"Go\\ud800ku","score":9}', [
    'nom',
  ]),
  invalid(
    'fields hidden under __proto__',
    '{"__proto__":{"nom":"Goku","score":95}}',
    ['nom', 'score'],
  ),
  invalid(
    'fields hidden under constructor.prototype',
    '{"constructor":{"prototype":{"nom":"Goku"}},"score":95}',
    ['nom'],
  ),
  invalid('a duplicate key', '{"nom":"Goku","score":95,"nom":"Vegeta"}', [
    'nom',
  ]),
  invalid(
    'a duplicate key spelt with an escape',
    '{"nom":"Goku","n\\u006fm":"Vegeta","score":95}',
    ['nom'],
  ),
  invalid(
    'a nested duplicate key',
    '{"nom":"Goku","score":95,"meta":[{"a":1,"a":2}]}',
    ['meta.0.a'],
  ),
  // Not JSON by its media type: 415, before the body is read.
  unsupported('no Content-Type', {}),
  unsupported('text/plain', { 'content-type': 'text/plain' }),
  unsupported('text/json', { 'content-type': 'text/json' }),
  unsupported('application/jsonp', { 'content-type': 'application/jsonp' }),
  unsupported(
    'a form',
    { 'content-type': 'application/x-www-form-urlencoded' },
    'unsupported-media-type',
    'nom=Goku&score=95',
  ),
  unsupported('multipart', {
    'content-type': 'multipart/form-data; boundary=x',
  }),
  unsupported('a list of media types', {
    'content-type': 'application/json, text/plain',
  }),
  unsupported('a bare +json', { 'content-type': 'application/+json' }),
  unsupported(
    'charset=iso-8859-1',
    { 'content-type': 'application/json; charset=iso-8859-1' },
    'unsupported-charset',
  ),
  unsupported(
    'charset=utf-16',
    { 'content-type': 'application/json;charset=utf-16' },
    'unsupported-charset',
  ),
  unsupported(
    'an unknown charset',
    { 'content-type': 'application/json; charset=klingon' },
    'unsupported-charset',
  ),
  unsupported(
    'a gzipped body',
    { 'content-type': 'application/json', 'content-encoding': 'gzip' },
    'unsupported-content-encoding',
    gzipSync(goku),
  ),
  unsupported(
    'Content-Encoding: br',
    { 'content-type': 'application/json', 'content-encoding': 'br' },
    'unsupported-content-encoding',
  ),
  unsupported(
    'identity then gzip',
    {
      'content-type': 'application/json',
      'content-encoding': 'identity, gzip',
    },
    'unsupported-content-encoding',
  ),
  // Too large: 413, without reading past the limit.
  {
    name: 'one byte over the limit, with Content-Length',
    request: post(`${goku}${' '.repeat(MAX + 1 - goku.length)}`),
    status: 413,
    slug: 'too-large',
  },
  {
    name: 'one byte over the limit, chunked',
    request: {
      ...post(`${goku}${' '.repeat(MAX + 1 - goku.length)}`),
      chunked: true,
    },
    status: 413,
    slug: 'too-large',
  },
  {
    name: 'a 1 MiB chunked stream',
    request: { ...post(' '.repeat(1 << 20)), chunked: true },
    status: 413,
    slug: 'too-large',
  },
  {
    name: 'a Content-Length of 10 GB',
    request: post(goku, { 'content-length': '10000000000' }),
    status: 413,
    slug: 'too-large',
  },
  // Wrong method or path.
  wrongMethod('GET'),
  wrongMethod('PUT'),
  wrongMethod('PATCH'),
  wrongMethod('DELETE'),
  wrongMethod('OPTIONS'),
  {
    name: 'a path with broken percent-encoding',
    request: { ...post(goku), path: `${WEBHOOK_PATH}%ZZ` },
    status: 404,
    slug: 'not-found',
  },
  {
    name: 'an unknown path',
    request: { ...post(goku), path: '/webhook/other' },
    status: 404,
    slug: 'not-found',
  },
  // Bad idempotency keys: 400, even for a valid personnage.
  {
    name: 'an empty Idempotency-Key',
    request: post(goku, { 'idempotency-key': '' }),
    status: 400,
    slug: 'invalid-idempotency-key',
  },
  {
    name: 'an Idempotency-Key of 256 characters',
    request: post(goku, { 'idempotency-key': 'k'.repeat(256) }),
    status: 400,
    slug: 'invalid-idempotency-key',
  },
  {
    name: 'a non-ASCII Idempotency-Key',
    request: post(goku, { 'idempotency-key': 'cl\u00e9' }),
    status: 400,
    slug: 'invalid-idempotency-key',
  },
  {
    name: 'a webhook-id of 300 characters',
    request: post(goku, { 'webhook-id': 'm'.repeat(300) }),
    status: 400,
    slug: 'invalid-idempotency-key',
  },
];

/** Asserts that `res` refuses `bad` as the table says. */
export function expectRefused(res: RawResponse, bad: BadRequest): void {
  const problem = expectProblem(res, bad.status, bad.slug);
  for (const [name, value] of Object.entries(bad.headers ?? {})) {
    expect(res.headers.get(name)).toBe(value);
  }
  if (bad.fields) {
    const errors = problem.errors as { path: string; message: string }[];
    expect([...new Set(errors.map((e) => e.path))]).toEqual(bad.fields);
    for (const e of errors) expect(e.message).toEqual(expect.any(String));
  }
}
