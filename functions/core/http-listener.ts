import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { getRequestListener } from '@hono/node-server';
import { Problem, problemResponse, problems } from './problem.js';

type Fetch = (request: Request) => Response | Promise<Response>;

/**
 * The Node request listener for a Hono app, as both entry points use it.
 * A request that cannot even be turned into a `Request` (an unparseable
 * `Host`, `OPTIONS *`) gets a 400 problem instead of node-server's empty
 * 400; any other escaped error a 500 problem, never a stack.
 */
export function requestListener(
  fetch: Fetch,
): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  return getRequestListener(fetch, {
    errorHandler: (err) =>
      problemResponse(
        err instanceof Error && err.name === 'RequestError'
          ? new Problem(
              400,
              'bad-request',
              'Bad request',
              'The request line or headers cannot be read.',
            )
          : problems.internal(err),
      ),
  });
}

/**
 * Answers requests Node's HTTP parser refuses before any listener runs
 * (conflicting framing, oversized headers) with a problem body, not the
 * bare status line Node writes by default.
 */
export function answerClientErrors(server: Server): void {
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    if (!socket.writable || err.code === 'ECONNRESET') {
      socket.destroy();
      return;
    }
    const tooLarge = err.code === 'HPE_HEADER_OVERFLOW';
    const status = tooLarge ? 431 : 400;
    const body = JSON.stringify(
      new Problem(
        status,
        tooLarge ? 'headers-too-large' : 'bad-request',
        tooLarge ? 'Request headers too large' : 'Bad request',
        tooLarge
          ? 'The request headers are larger than this server reads.'
          : 'The request cannot be parsed as HTTP/1.1.',
      ).toBody(),
    );
    socket.end(
      `HTTP/1.1 ${status} ${tooLarge ? 'Request Header Fields Too Large' : 'Bad Request'}\r\n` +
        'Content-Type: application/problem+json\r\n' +
        `Content-Length: ${Buffer.byteLength(body)}\r\n` +
        'Connection: close\r\n\r\n' +
        body,
    );
  });
}
