import type { Context, MiddlewareHandler } from 'hono';
import {
  limitBody as limitDeclaredBody,
  tooLarge,
} from '../core/body-limit.js';
import { Problem } from '../core/problem.js';
import { duplicateKeyPaths } from './duplicate-keys.js';

/** The client went away, or broke its framing, before the body ended. */
const unreadable = (cause: unknown) =>
  new Problem(
    400,
    'unreadable-body',
    'Unreadable body',
    'The body could not be read to its end.',
    { cause },
  );

/**
 * Refuses a body over `maxBytes` with 413 (core's `limitBody`: from
 * `Content-Length`, or while counting a chunked stream, never buffered past
 * the limit). A body whose stream fails (the client aborted) is a 400, not
 * a server error.
 */
export function limitBody(maxBytes: number): MiddlewareHandler {
  const limit = limitDeclaredBody(maxBytes);
  return async (c, next) => {
    let reading = true;
    try {
      await limit(c, () => {
        reading = false;
        return next();
      });
    } catch (err) {
      if (!reading || err instanceof Problem) throw err;
      throw unreadable(err);
    }
  };
}

/**
 * The raw bytes of the body, which signatures are computed over. Behind
 * `limitBody`; the size is checked again in case a `Content-Length` lied
 * to a runtime that does not enforce it.
 */
export async function readBody(
  c: Context,
  maxBytes: number,
): Promise<Uint8Array> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await c.req.arrayBuffer());
  } catch (err) {
    throw unreadable(err);
  }
  if (bytes.byteLength > maxBytes) throw tooLarge(maxBytes);
  return bytes;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

const malformed = (detail: string) =>
  new Problem(400, 'malformed-json', 'Malformed JSON', detail);

/**
 * Decodes a JSON text: 400 when the bytes are not UTF-8 (`invalid-utf8`)
 * or not JSON (`malformed-json`), 422 when an object repeats a key, which
 * RFC 8259 leaves to each parser to resolve and so could be read
 * differently by a signer and by us. A leading UTF-8 byte order mark is
 * ignored, as RFC 8259 §8.1 permits.
 */
export function decodeJson(bytes: Uint8Array): unknown {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw new Problem(
      400,
      'invalid-utf8',
      'Invalid UTF-8',
      'The body is not valid UTF-8.',
    );
  }
  if (text.trim() === '') {
    throw malformed('The body is empty; send a JSON object.');
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw malformed('The body is not valid JSON.');
  }
  const duplicates = duplicateKeyPaths(text);
  if (duplicates.length > 0) {
    throw new Problem(
      422,
      'validation',
      'Validation failed',
      'The body repeats a key; each key must appear once per object.',
      {
        errors: duplicates.map((path) => ({
          path,
          message: 'duplicate key',
        })),
      },
    );
  }
  return value;
}
