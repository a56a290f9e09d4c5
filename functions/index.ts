/**
 * The functions-framework entry: one HTTP target per function, so each
 * deploys as its own Cloud Run function (`--target=ingest|archive|notify`).
 * Configuration is read once at load: a bad value stops the instance before
 * it serves anything. A function is wired on its first request, so a target
 * never builds the others' clients.
 */
import { http } from '@google-cloud/functions-framework';
import { loadConfig } from './core/config.js';
import { passBodiesThroughFunctionsFramework } from './core/ff-body-passthrough.js';
import { requestListener } from './core/http-listener.js';
import { FUNCTION_NAMES } from './core/runtime.js';
import { builders } from './registry.js';

passBodiesThroughFunctionsFramework();
const config = loadConfig();

for (const name of FUNCTION_NAMES) {
  let listener: Promise<ReturnType<typeof requestListener>> | undefined;
  http(name, async (req, res) => {
    listener ??= builders[name](config).then((runtime) =>
      requestListener(runtime.app.fetch),
    );
    try {
      await (await listener)(req, res);
    } catch (err) {
      // A failed start (unreadable DATA_DIR, say) is retried on the next
      // request instead of leaving the instance broken for good.
      listener = undefined;
      console.error(
        JSON.stringify({
          severity: 'ERROR',
          message: `${name} failed to start: ${(err as Error).message}`,
        }),
      );
      if (!res.headersSent) {
        res
          .status(503)
          .type('application/problem+json')
          .send(
            JSON.stringify({
              type: 'urn:relais:problem:unavailable',
              title: 'Service unavailable',
              status: 503,
              detail: `${name} is starting or failed to start; retry later.`,
            }),
          );
      }
    }
  });
}
