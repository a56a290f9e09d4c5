import { describe, expect, it } from 'vitest';
import {
  isJsonMediaType,
  isUtf8Label,
  parseMediaType,
} from '../../functions/core/media.js';

describe('parseMediaType', () => {
  it.each([
    ['application/json', 'application/json', {}],
    [
      'Application/JSON ; Charset=UTF-8',
      'application/json',
      { charset: 'UTF-8' },
    ],
    [
      'application/json;charset="utf-8"',
      'application/json',
      { charset: 'utf-8' },
    ],
    [
      'application/json; a="x\\"y"; b=2',
      'application/json',
      { a: 'x"y', b: '2' },
    ],
    ['application/json;', 'application/json', {}],
    [
      'application/json; ;charset=utf-8',
      'application/json',
      { charset: 'utf-8' },
    ],
  ])('reads %j', (header, essence, parameters) => {
    const media = parseMediaType(header);
    expect(media?.essence).toBe(essence);
    expect(Object.fromEntries(media?.parameters ?? [])).toEqual(parameters);
  });

  it.each([
    '',
    'json',
    '/json',
    'application/',
    'application/json, text/plain',
    'application/json; charset',
    'application/json; charset="utf-8',
    'application json',
  ])('refuses %j', (header) => {
    expect(parseMediaType(header)).toBeUndefined();
  });
});

describe('isJsonMediaType', () => {
  it.each([
    ['application/json', true],
    ['application/problem+json', true],
    ['application/vnd.api+json', true],
    ['application/+json', false],
    ['application/jsonp', false],
    ['text/json', false],
    ['application/json-seq', false],
  ])('%s → %s', (essence, expected) => {
    expect(isJsonMediaType(essence)).toBe(expected);
  });
});

describe('isUtf8Label', () => {
  it.each([
    ['utf-8', true],
    ['UTF-8', true],
    ['utf8', true],
    ['unicode-1-1-utf-8', true],
    ['latin1', false],
    ['us-ascii', false],
    ['utf-16', false],
    ['klingon', false],
  ])('%s → %s', (label, expected) => {
    expect(isUtf8Label(label)).toBe(expected);
  });
});
