/**
 * The functions-framework entry: one HTTP target per function, so each
 * deploys as its own Cloud Run function (`--target=ingest|archive|notify`).
 * Configuration is read once at load: a bad value stops the instance before
 * it serves anything. The target named by `FUNCTION_TARGET` is wired at
 * once, any other on its first request, so a target never builds the
 * others' clients.
 */
import { http } from '@google-cloud/functions-framework';
import { loadConfig } from './core/config.js';
import { passBodiesThroughFunctionsFramework } from './core/ff-body-passthrough.js';
import { requestListener } from './core/http-listener.js';
import { survivePlainStreamErrors } from './core/log.js';
import { PROBLEM_CONTENT_TYPE, problems } from './core/problem.js';
import { FUNCTION_NAMES } from './core/runtime.js';
import { builders } from './registry.js';

passBodiesThroughFunctionsFramework();
// functions-framework's own start-up lines must not end the instance when
// stdout cannot be written (a full disk under `> file`).
survivePlainStreamErrors();
const config = loadConfig();

for (const name of FUNCTION_NAMES) {
  let listener: Promise<ReturnType<typeof requestListener>> | undefined;
  const build = () =>
    builders[name](config).then((runtime) =>
      requestListener(runtime.app.fetch),
    );
  // Cloud Run functions (and `npm run function`) name the target: wire it
  // now, so an archive repairs its file at start and the first request
  // does not wait. A failure here is reported by that first request.
  if (config.functionTarget === name) {
    listener = build();
    listener.catch(() => undefined);
  }
  http(name, async (req, res) => {
    listener ??= build();
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
        const problem = problems.unavailable(
          `${name} is starting or failed to start; retry later.`,
          5,
        );
        res
          .status(problem.status)
          .set(problem.headers)
          .type(PROBLEM_CONTENT_TYPE)
          .send(JSON.stringify(problem.toBody()));
      }
    }
  });
}
