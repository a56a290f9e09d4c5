import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  answerClientErrors,
  requestListener,
} from '../../functions/core/http-listener.js';
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
 * Serves `app` on a free port of 127.0.0.1 through the same listener as
 * functions/server.ts, as the emulator's push target. Closed when the test
 * (or, outside a test, the file) finishes, or earlier with `close()`.
 */
export async function startFunctionServer(
  app: FetchApp,
): Promise<FunctionServer> {
  const server = createServer(requestListener((request) => app.fetch(request)));
  answerClientErrors(server);
  const { port, close } = await listenOnFreePort(server);
  return { url: `http://127.0.0.1:${port}`, port, close };
}

/**
 * Listens on a free port of 127.0.0.1 and gives an idempotent `close` that
 * drops open connections (the emulator opens one per push; callers keep
 * theirs alive), run when the test (or file) finishes.
 */
export async function listenOnFreePort(
  server: Server,
): Promise<{ port: number; close: () => Promise<void> }> {
  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () =>
      resolve((server.address() as AddressInfo).port),
    );
  });
  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
    return closing;
  };
  defer(close);
  return { port, close };
}
