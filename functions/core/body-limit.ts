import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { Problem } from './problem.js';

/** The 413 answer for a body over `maxBytes`. */
export function tooLarge(maxBytes: number): Problem {
  return new Problem(
    413,
    'too-large',
    'Payload too large',
    `The body is larger than ${maxBytes} bytes.`,
  );
}

/**
 * Refuses a body over `maxBytes` with 413 without buffering it. A declared
 * `Content-Length` is checked as a number and nothing more: Node's HTTP
 * parser never hands over more bytes than it declares. Only a chunked body
 * goes through hono's bodyLimit, which counts the stream. Touching the
 * body stream for every request, as bodyLimit does, makes @hono/node-server
 * build a full `Request` each time: about a quarter of ingest's CPU.
 */
export function limitBody(maxBytes: number): MiddlewareHandler {
  const counting = bodyLimit({
    maxSize: maxBytes,
    onError: () => {
      throw tooLarge(maxBytes);
    },
  });
  return async (c, next) => {
    const declared = c.req.header('content-length');
    if (declared !== undefined && /^\d+$/.test(declared)) {
      if (Number(declared) > maxBytes) throw tooLarge(maxBytes);
      return next();
    }
    return counting(c, next);
  };
}
