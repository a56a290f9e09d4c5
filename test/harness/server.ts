import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { defer } from './cleanup.js';

/** Anything with a fetch handler: a Hono app, for instance. */
export interface FetchApp {
  fetch: (request: Request) => Response | Promise<Response>;
}

export interface FunctionServer {
  /** `http://127.0.0.1:<port>`, without a trailing slash. */
  url: string;
  port: number;
  /** Stops listening and drops open connections. Idempotent. */
  close(): Promise<void>;
}

/**
 * Serves `app` with @hono/node-server on a free port of 127.0.0.1, as the
 * emulator's push target. Closed when the test (or, outside a test, the
 * file) finishes, or earlier with `close()`.
 */
export async function startFunctionServer(
  app: FetchApp,
): Promise<FunctionServer> {
  const { server, port } = await new Promise<{
    server: ReturnType<typeof serve>;
    port: number;
  }>((resolve, reject) => {
    const server = serve(
      {
        fetch: (request) => app.fetch(request),
        hostname: '127.0.0.1',
        port: 0,
      },
      (info: AddressInfo) => resolve({ server, port: info.port }),
    );
    server.once('error', reject);
  });
  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= new Promise<void>((resolve) => {
      server.close(() => resolve());
      // The emulator opens a connection per push; do not wait for them.
      if ('closeAllConnections' in server) server.closeAllConnections();
    });
    return closing;
  };
  defer(close);
  return { url: `http://127.0.0.1:${port}`, port, close };
}
