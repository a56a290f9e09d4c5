import type { Context, MiddlewareHandler } from 'hono';
import { Problem } from './problem.js';

const TOKEN = "[!#$%&'*+.^_`|~0-9A-Za-z-]+";
const MEDIA_TYPE = new RegExp(`^[ \\t]*(${TOKEN})/(${TOKEN})[ \\t]*`, 'y');
const PARAMETER = new RegExp(
  `;[ \\t]*(?:(${TOKEN})=(${TOKEN}|"(?:[^"\\\\]|\\\\.)*"))?[ \\t]*`,
  'y',
);

/** A parsed `Content-Type`: lower-cased `type/subtype` and parameters. */
export interface MediaType {
  essence: string;
  /** Parameter names lower-cased; quoted values unquoted. */
  parameters: Map<string, string>;
}

/**
 * Parses a media type as RFC 9110 §8.3.1 writes it; undefined when the
 * header does not follow that grammar (a list of types, say).
 */
export function parseMediaType(header: string): MediaType | undefined {
  MEDIA_TYPE.lastIndex = 0;
  const head = MEDIA_TYPE.exec(header);
  if (!head) return undefined;
  const essence = `${head[1]}/${head[2]}`.toLowerCase();
  const parameters = new Map<string, string>();
  let at = MEDIA_TYPE.lastIndex;
  while (at < header.length) {
    PARAMETER.lastIndex = at;
    const param = PARAMETER.exec(header);
    if (!param) return undefined;
    const [, name, value] = param;
    if (name !== undefined && value !== undefined) {
      const unquoted = value.startsWith('"')
        ? value.slice(1, -1).replace(/\\(.)/g, '$1')
        : value;
      parameters.set(name.toLowerCase(), unquoted);
    }
    at = PARAMETER.lastIndex;
  }
  return { essence, parameters };
}

/** `application/json` or any structured-syntax `+json` type (RFC 6839). */
export function isJsonMediaType(essence: string): boolean {
  return (
    essence === 'application/json' || /^application\/.+\+json$/.test(essence)
  );
}

/**
 * True when `label` names UTF-8 under the WHATWG Encoding Standard, which
 * also admits `utf8` and `unicode-1-1-utf-8`; RFC 8259 allows no other
 * encoding for JSON exchanged between systems.
 */
export function isUtf8Label(label: string): boolean {
  try {
    return new TextDecoder(label.trim()).encoding === 'utf-8';
  } catch {
    return false;
  }
}

const unsupportedType = (detail: string) =>
  new Problem(415, 'unsupported-media-type', 'Unsupported media type', detail, {
    headers: { 'Accept-Post': 'application/json' },
  });

/**
 * Refuses, with 415 and before any byte of the body is read, a request
 * whose body is not JSON (`application/json` or `+json`, any parameters),
 * is not UTF-8, or is compressed: relais decodes no content coding, and
 * says so in `Accept-Encoding` as RFC 9110 §15.5.16 asks.
 */
export function requireJsonEntity(): MiddlewareHandler {
  return async (c, next) => {
    assertJsonEntity(c);
    await next();
  };
}

/** The check of `requireJsonEntity`, for a handler that reads the body. */
export function assertJsonEntity(c: Context): void {
  const header = c.req.header('content-type');
  const media = header === undefined ? undefined : parseMediaType(header);
  if (!media || !isJsonMediaType(media.essence)) {
    throw unsupportedType(
      header === undefined
        ? 'The request has no Content-Type; send application/json.'
        : 'Send the body as application/json.',
    );
  }
  const charset = media.parameters.get('charset');
  if (charset !== undefined && !isUtf8Label(charset)) {
    throw new Problem(
      415,
      'unsupported-charset',
      'Unsupported charset',
      'JSON bodies must be encoded in UTF-8.',
      { headers: { 'Accept-Post': 'application/json; charset=utf-8' } },
    );
  }
  const codings = (c.req.header('content-encoding') ?? '')
    .split(',')
    .map((coding) => coding.trim().toLowerCase())
    .filter((coding) => coding !== '');
  if (codings.some((coding) => coding !== 'identity')) {
    throw new Problem(
      415,
      'unsupported-content-encoding',
      'Unsupported content encoding',
      'Send the body uncompressed (Content-Encoding: identity).',
      { headers: { 'Accept-Encoding': 'identity' } },
    );
  }
}
