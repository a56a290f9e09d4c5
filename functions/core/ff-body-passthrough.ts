import { subscribe } from 'node:diagnostics_channel';
import type { IncomingMessage, Server } from 'node:http';
import { answerClientErrors } from './http-listener.js';

/**
 * functions-framework parses every body with body-parser before the function
 * runs, and answers a body it cannot parse (malformed JSON, unknown charset
 * or encoding, over its limit) itself, with an HTML page holding a stack
 * trace; the app never sees the request. It offers no hook to change that:
 * https://github.com/GoogleCloudPlatform/functions-framework-nodejs/issues/686
 *
 * body-parser reads nothing from a request without a `Content-Type` header.
 * So, as each request starts, this hides that header from `req.headers`
 * (the only place body-parser looks); the request's `rawHeaders` keep it,
 * and `@hono/node-server` builds the Hono request from those, streaming the
 * body itself. The app then answers every body, good or bad, with its own
 * problem+json and its own size limit, exactly as under `@hono/node-server`.
 * A path whose percent-encoding is broken is escaped for the same reason.
 */
export function passBodiesThroughFunctionsFramework(): void {
  const servers = new WeakSet<Server>();
  subscribe('http.server.request.start', (message) => {
    const { request, server } = message as {
      request: IncomingMessage;
      server: Server;
    };
    // functions-framework creates the server and exposes no handle to it;
    // the first request brings one, so the parser's own refusals get a
    // problem body from then on.
    if (!servers.has(server)) {
      servers.add(server);
      answerClientErrors(server);
    }
    delete request.headers['content-type'];
    // Express answers `OPTIONS *` itself with an HTML page.
    if (request.url === '*') request.url = '/*';
    // Express answers a path with broken percent-encoding with its own HTML
    // page and a stack trace; escaped, it reaches the app and gets a 404.
    if (request.url && !decodes(request.url)) {
      request.url = request.url.replaceAll('%', '%25');
    }
  });
}

function decodes(url: string): boolean {
  try {
    decodeURIComponent(url);
    return true;
  } catch {
    return false;
  }
}
