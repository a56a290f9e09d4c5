/**
 * `npm run replay`: publishes past events to the topic again, from the
 * archive file or from the dead-letter subscription. See USAGE.
 */

import { join } from 'node:path';
import type { PubSub } from '@google-cloud/pubsub';
import { z } from 'zod';
import { topologyNames } from '../emulator/topology.js';
import { ARCHIVE_FILE } from '../functions/archive/file-store.js';
import {
  type Config,
  loadConfig,
  resourceName,
} from '../functions/core/config.js';
import type { PersonnageEvent } from '../functions/core/personnage.js';
import { createTopicPublisher } from '../functions/core/publisher.js';
import { createPubSub } from '../functions/core/pubsub.js';
import { toMessage } from '../functions/ingest/publish.js';
import { readArchivedEvents } from './lib/archive-file.js';
import { parseCommandLine, runMain, UsageError } from './lib/args.js';
import { pullSource, replayDeadLetters } from './lib/dead-letter.js';
import { describeEvent } from './lib/event-line.js';
import { runLoad } from './lib/load-runner.js';
import { plural } from './lib/local-run.js';
import { ensureTopicReachable } from './lib/pubsub-probe.js';
import { select, selectionOptions } from './lib/replay-selection.js';

const USAGE = `usage: npm run replay -- --from <archive|dead-letter> [options]

Publishes past events to the topic again. Each keeps its event id (the
eventId attribute and the id in its data), so archive and notify skip what
they already hold: replaying twice, or replaying an event that did arrive,
archives and notifies nothing twice.

  --from archive       events of the archive file, oldest first
  --from dead-letter   messages of the dead-letter subscription; each is
                       acked only once its event is published again, and
                       what is not replayed stays there
  --since TIME         only events received at or after TIME (ISO 8601)
  --niveau NIVEAU      only this niveau (débutant, intermédiaire, expert,
                       légendaire)
  --limit N            at most N events
  --dry-run            list what would be replayed; publish and ack nothing
  --file PATH          archive file (default $DATA_DIR/webhook_log.json)
  --topic NAME         topic to publish to (default $TOPIC, personnages)
  --subscription NAME  dead-letter pull subscription
                       (default <topic>-dead-letter-inspect)
  -h, --help           this help`;

const flags = {
  from: { type: 'string' },
  since: { type: 'string' },
  niveau: { type: 'string' },
  limit: { type: 'string' },
  'dry-run': { type: 'boolean', default: false },
  file: { type: 'string' },
  topic: { type: 'string' },
  subscription: { type: 'string' },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

const schema = z.object({
  from: z
    .enum(['archive', 'dead-letter'], {
      error: 'must be archive or dead-letter',
    })
    .optional(),
  ...selectionOptions,
  'dry-run': z.boolean(),
  file: z.string().min(1).optional(),
  topic: resourceName.optional(),
  subscription: resourceName.optional(),
  help: z.boolean(),
});

type Args = z.infer<typeof schema>;

async function main(): Promise<void> {
  const args = parseCommandLine(process.argv.slice(2), flags, schema);
  if (args.help) {
    console.log(USAGE);
    return;
  }
  if (!args.from) throw new UsageError('--from is required');
  if (args.from === 'dead-letter' && args.file) {
    throw new UsageError('--file is for --from archive');
  }
  const config = loadConfig();
  const topic = args.topic ?? config.topic;
  if (args.from === 'archive') await fromArchive(args, config, topic);
  else await fromDeadLetter(args, config, topic);
}

async function fromArchive(
  args: Args,
  config: Readonly<Config>,
  topic: string,
): Promise<void> {
  const path = args.file ?? join(config.dataDir, ARCHIVE_FILE);
  const archived = await readArchivedEvents(path);
  if (archived.skipped > 0) {
    console.error(
      `skipped ${archived.skipped} entries of ${path} ` +
        'that are not personnage events',
    );
  }
  const events = select(archived.events, args);
  if (args['dry-run']) {
    for (const event of events) console.log(describeEvent(event));
    console.log(
      `would replay ${events.length} of ${archived.events.length} ` +
        `archived events to ${topic} (dry run: nothing published)`,
    );
    return;
  }
  await withTopic(config, topic, async (pubsub) => {
    const publisher = createTopicPublisher(pubsub, topic, {
      timeoutMs: config.publishTimeoutMs,
    });
    const failures: string[] = [];
    const result = await runLoad(
      {
        count: events.length,
        concurrency: 100,
        rate: undefined,
        progress: process.stderr.isTTY === true && events.length > 1_000,
      },
      async (i) => {
        const event = events[i] as PersonnageEvent;
        try {
          await publisher.publish(toMessage(event));
          return { status: 200 };
        } catch (err) {
          failures.push(event.id);
          throw err;
        }
      },
    );
    await publisher.close();
    report(result.sent - failures.length, topic, 'archive');
    if (failures.length > 0) {
      throw new Error(
        `${failures.length} events could not be published, first ` +
          `${failures[0]}; run the same replay again (ids are kept)`,
      );
    }
  });
}

async function fromDeadLetter(
  args: Args,
  config: Readonly<Config>,
  topic: string,
): Promise<void> {
  const subscription =
    args.subscription ?? topologyNames(topic).deadLetterInspect;
  await withTopic(config, topic, async (pubsub) => {
    const [exists] = await pubsub.subscription(subscription).exists();
    if (!exists) {
      throw new Error(
        `subscription ${subscription} does not exist; ` +
          'npm start and npm run emulator create it (or pass --subscription)',
      );
    }
    const source = await pullSource(pubsub, subscription, {
      emulator: config.emulatorHost !== undefined,
      timeoutMs: config.publishTimeoutMs,
    });
    const publisher = args['dry-run']
      ? undefined
      : createTopicPublisher(pubsub, topic, {
          timeoutMs: config.publishTimeoutMs,
        });
    try {
      const outcome = await replayDeadLetters({
        source,
        publisher,
        selection: args,
        onEvent: (event) => {
          if (args['dry-run']) console.log(describeEvent(event));
        },
      });
      if (args['dry-run']) {
        console.log(
          `would replay ${outcome.replayed} events from ${subscription} ` +
            `to ${topic} (dry run: nothing published or acked)`,
        );
      } else {
        report(outcome.replayed, topic, subscription);
      }
      if (outcome.left > 0) {
        console.log(`left ${outcome.left} not selected in ${subscription}`);
      }
      if (outcome.poison > 0) {
        console.log(
          `left ${outcome.poison} messages in ${subscription} that carry ` +
            'no valid personnage event (they would fail again)',
        );
      }
    } finally {
      await publisher?.close();
      await source.close();
    }
  });
}

/** Runs `work` with a client, once the emulator and topic answer. */
async function withTopic(
  config: Readonly<Config>,
  topic: string,
  work: (pubsub: PubSub) => Promise<void>,
): Promise<void> {
  const pubsub = createPubSub(config);
  try {
    await ensureTopicReachable(pubsub, config, topic);
    await work(pubsub);
  } finally {
    await pubsub.close();
  }
}

function report(count: number, topic: string, from: string): void {
  console.log(
    `replayed ${plural(count, 'event')} from ${from} to ${topic} ` +
      '(event ids kept: archive and notify skip those they hold)',
  );
}

runMain(USAGE, main);
