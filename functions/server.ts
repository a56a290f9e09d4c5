/**
 * The local server: `tsx functions/server.ts <ingest|archive|notify>` serves
 * one function with @hono/node-server's request listener on its configured
 * port. SIGTERM or
 * SIGINT closes the server, lets requests in flight finish, then exits.
 */
import { createServer } from 'node:http';
import { ConfigError, loadConfig } from './core/config.js';
import { answerClientErrors, requestListener } from './core/http-listener.js';
import {
  cannotListen,
  FUNCTION_NAMES,
  type FunctionName,
  PORT_VARIABLE,
} from './core/runtime.js';
import { builders } from './registry.js';

async function main(): Promise<void> {
  const name = process.argv[2];
  const usage = `usage: server.js <${FUNCTION_NAMES.join('|')}>`;
  if (name === '--help' || name === '-h') {
    console.log(usage);
    return;
  }
  if (!FUNCTION_NAMES.includes(name as FunctionName)) {
    console.error(usage);
    process.exitCode = 2;
    return;
  }
  const fn = name as FunctionName;
  const config = loadConfig();
  const runtime = await builders[fn](config);
  const port = config.ports[fn];
  const server = createServer(
    // A client that trickles its body is cut off after 30 s (Node's
    // default is 300 s), so slow senders cannot hold sockets for long.
    { requestTimeout: 30_000, headersTimeout: 10_000 },
    requestListener(runtime.app.fetch),
  );
  answerClientErrors(server);
  server.on('error', (err: NodeJS.ErrnoException) => {
    const cannotBind = ['ENOTFOUND', 'EADDRNOTAVAIL', 'EAI_AGAIN'];
    console.error(
      err.code === 'EADDRINUSE'
        ? `${fn}: port ${port} is in use; set ${PORT_VARIABLE[fn]} to another`
        : cannotBind.includes(err.code ?? '')
          ? `${fn}: ${cannotListen(`HOST=${config.host}`, err.code, 'HOST')}`
          : `${fn}: ${err.message}`,
    );
    process.exit(1);
  });
  server.listen(port, config.host, () => {
    console.error(`${fn} listening on http://${config.host}:${port}`);
  });

  const stop = () => {
    server.close(() => {
      runtime.close().finally(() => process.exit(0));
    });
    server.closeIdleConnections();
    // Keep-alive connections would hold close() open forever.
    setTimeout(() => process.exit(0), 5_000).unref();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((err: unknown) => {
  // The cause, not a stack: a start-up failure is a setting or a file
  // (an unusable DATA_DIR, a port), which the message names.
  const { message, code } = err as NodeJS.ErrnoException;
  console.error(
    err instanceof ConfigError
      ? message
      : `${process.argv[2]} failed to start: ${message}${code ? ` (${code})` : ''}`,
  );
  process.exit(1);
});
