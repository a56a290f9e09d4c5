/**
 * Publishes personnage events straight to the topic with the Pub/Sub client,
 * bypassing ingest: `npm run publish -- --count 1000 --batch-max-messages 100`
 */
import { randomUUID } from 'node:crypto';
import { loadConfig, resourceName } from '../functions/core/config.js';
import { wholeNumber } from '../functions/core/number-text.js';
import { toEvent } from '../functions/core/personnage.js';
import {
  type Publisher,
  PublishUnavailableError,
} from '../functions/core/publisher.js';
import { createPubSub } from '../functions/core/pubsub.js';
import { publishWithin, toMessage } from '../functions/ingest/publish.js';
import {
  loadCount,
  loadFlags,
  loadSchema,
  parseCommandLine,
  runMain,
} from './lib/args.js';
import { runLoad, summarize } from './lib/load-runner.js';
import { loadPersonnages } from './lib/personnages.js';
import { ensureTopicReachable } from './lib/pubsub-probe.js';

const USAGE = `usage: npm run publish -- [options]
  -n, --count N               events to publish (default: each record of
                              --file once, else 10; a larger count goes
                              round the records again)
  -c, --concurrency N         publishes in flight (default 10)
  -r, --rate N                publishes per second at most (default: no limit)
  -f, --file PATH             JSON array or NDJSON of {nom, score} (default: built-in set)
      --topic NAME            topic (default $TOPIC, personnages)
      --batch-max-messages N  client batch size (default 100)
      --batch-max-ms N        client batch delay in ms (default 10)
      --no-progress           no progress bar`;

async function main(): Promise<void> {
  const config = loadConfig();
  const args = parseCommandLine(
    process.argv.slice(2),
    {
      ...loadFlags,
      topic: { type: 'string' },
      'batch-max-messages': { type: 'string', default: '100' },
      'batch-max-ms': { type: 'string', default: '10' },
    },
    loadSchema.extend({
      topic: resourceName.optional(),
      'batch-max-messages': wholeNumber(1, 1000),
      'batch-max-ms': wholeNumber(0, 10_000),
    }),
  );
  if (args.help) {
    console.log(USAGE);
    return;
  }
  const topicName = args.topic ?? config.topic;
  const personnages = await loadPersonnages(args.file);
  const count = loadCount(args, personnages.length);
  const pubsub = createPubSub(config);
  try {
    await ensureTopicReachable(pubsub, config, topicName);
    const topic = pubsub.topic(topicName, {
      batching: {
        maxMessages: args['batch-max-messages'],
        maxMilliseconds: args['batch-max-ms'],
      },
    });
    const publisher: Publisher = {
      publish: (message) => topic.publishMessage(message),
      close: async () => undefined,
    };
    // The client retries an emulator that went away for minutes: the
    // first publish left unanswered stops the run instead.
    const stop = new AbortController();
    const result = await runLoad(
      {
        count,
        concurrency: args.concurrency,
        rate: args.rate,
        progress: !args['no-progress'] && process.stderr.isTTY === true,
        signal: stop.signal,
      },
      async (i) => {
        const input = personnages[i % personnages.length];
        if (!input) throw new Error('empty data set');
        const event = toEvent(input, randomUUID(), new Date());
        try {
          await publishWithin(
            publisher,
            toMessage(event),
            config.publishTimeoutMs,
          );
        } catch (err) {
          const cause = (err as Error).cause;
          if (cause instanceof PublishUnavailableError) stop.abort(cause);
          throw cause ?? err;
        }
        return { status: 200 };
      },
    );
    console.log(`to topic ${topicName} in ${config.projectId}`);
    console.log(summarize(result, [200]));
    if (stop.signal.aborted) {
      throw new Error(
        `Pub/Sub stopped answering (${(stop.signal.reason as Error).message}) ` +
          `after ${result.sent} of ${count}; is the emulator still running?`,
      );
    }
    if (result.errors.size > 0) process.exitCode = 1;
  } finally {
    // Messages still queued in the client would hold close() open.
    await Promise.race([
      pubsub.close(),
      new Promise((resolve) => setTimeout(resolve, 2_000).unref()),
    ]);
  }
}

runMain(USAGE, main);
