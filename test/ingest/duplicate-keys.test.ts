import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { duplicateKeyPaths } from '../../functions/ingest/duplicate-keys.js';

describe('duplicateKeyPaths', () => {
  it.each([
    ['{"a":1,"a":2}', ['a']],
    ['{"a":1,"\\u0061":2}', ['a']],
    ['{"a":{"b":1,"b":2},"c":[{"d":0},{"d":1,"d":2}]}', ['a.b', 'c.1.d']],
    ['{"a":"a","b":"a"}', []],
    ['{"a":{"a":1}}', []],
    ['[{"a":1},{"a":1}]', []],
    ['{"k\\"ey":1,"k\\"ey":2}', ['k"ey']],
    ['{"a":"}{,:\\"","a":2}', ['a']],
    ['{"__proto__":1,"__proto__":2}', ['__proto__']],
  ])('finds in %s: %j', (text, paths) => {
    expect(duplicateKeyPaths(text)).toEqual(paths);
  });

  it('finds none in what JSON.stringify writes', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(duplicateKeyPaths(JSON.stringify(value))).toEqual([]);
      }),
    );
  });

  it('finds a key repeated at the end of any object', () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.string(), fc.jsonValue(), { minKeys: 1 }),
        (object) => {
          const [key] = Object.keys(object);
          const text = JSON.stringify(object);
          const repeated = `${text.slice(0, -1)},${JSON.stringify(key)}:0}`;
          expect(duplicateKeyPaths(repeated)).toEqual([key]);
        },
      ),
    );
  });

  it('walks 100 000 levels of nesting without overflowing', () => {
    const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    expect(duplicateKeyPaths(deep)).toEqual([]);
  });
});
