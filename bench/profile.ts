import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { ARCHIVE_FILE } from '../functions/archive/file-store.js';
import { wholeNumber } from '../functions/core/number-text.js';
import { parseCommandLine, runMain } from '../scripts/lib/args.js';
import { FileFollower } from '../scripts/lib/follow-file.js';
import { isArchiveClose } from '../scripts/lib/tail-format.js';
import { benchFunction, openContext, uniqueId } from './lib/context.js';
import { summarizeProfile } from './lib/cpu-profile.js';
import {
  applyBenchTopology,
  publishEvents,
  throughPipeline,
} from './lib/end-to-end.js';
import { load } from './lib/ingest-throughput.js';

const USAGE = `usage: npm run bench:profile -- --flow ingest|subscribers
                                  [--seconds N] [--top N]

  --flow     ingest: 50 connections post webhooks to ingest for --seconds;
             subscribers: events published straight to the topic (about
             700 per second asked for) are pushed to archive and notify
  --seconds  how long the load lasts (default 10)
  --top      how many packages and functions to list (default 25)`;

async function main(): Promise<void> {
  const args = parseCommandLine(
    process.argv.slice(2),
    {
      flow: { type: 'string' },
      seconds: { type: 'string', default: '10' },
      top: { type: 'string', default: '25' },
    },
    z.object({
      flow: z.enum(['ingest', 'subscribers']),
      seconds: wholeNumber(1, 600),
      top: wholeNumber(1, 500),
    }),
  );
  const say = (line: string) => console.error(`profile | ${line}`);
  const out = await mkdtemp(join(tmpdir(), 'relais-profile-'));
  const cpuProf = (name: string) => [
    '--cpu-prof',
    `--cpu-prof-dir=${join(out, name)}`,
  ];
  const ctx = await openContext(say);
  const topic = uniqueId('profile');
  const dataDir = join(ctx.root, 'data');
  let names: string[];
  try {
    const env = { TOPIC: topic, DATA_DIR: dataDir };
    if (args.flow === 'ingest') {
      names = ['ingest'];
      await ctx.pubsub.createTopic(topic);
      const ingest = await benchFunction(ctx, 'ingest', env, cpuProf('ingest'));
      await ingest.start();
      say(`50 connections for ${args.seconds} s`);
      const result = await load(ingest.url, args.seconds, 50);
      say(`ingest answered ${Math.round(result.requests.average)}/s`);
      await ingest.stop();
    } else {
      names = ['archive', 'notify'];
      const [archive, notify] = await Promise.all(
        (['archive', 'notify'] as const).map((name) =>
          benchFunction(ctx, name, env, cpuProf(name)),
        ),
      );
      if (!archive || !notify) throw new Error('unreachable');
      await Promise.all([archive.start(), notify.start()]);
      await applyBenchTopology(
        ctx,
        { archive: archive.url, notify: notify.url },
        topic,
      );
      const count = args.seconds * 700;
      say(`${count} events published, pushed to archive and notify`);
      const run = await throughPipeline(
        {
          archive: new FileFollower(join(dataDir, ARCHIVE_FILE), {
            holdBack: isArchiveClose,
          }),
          notify: new FileFollower(join(dataDir, 'notifications.txt')),
        },
        count,
        () => publishEvents(ctx, topic, count),
      );
      say(`${Math.round(count / run.seconds)} events/s`);
      await Promise.all([archive.stop(), notify.stop()]);
    }
  } finally {
    await ctx.close();
  }
  for (const name of names) {
    for (const file of await readdir(join(out, name))) {
      const path = join(out, name, file);
      const summary = await summarizeProfile(path, args.top);
      const lines = (rows: [string, number][]) =>
        rows
          .map(
            ([what, share]) =>
              `${(share * 100).toFixed(1).padStart(5)} %  ${what}`,
          )
          .join('\n');
      console.log(
        `\n## ${name}: ${summary.busySeconds.toFixed(1)} s busy (${path})\n\n` +
          `by package:\n${lines(summary.byPackage)}\n\n` +
          `by function:\n${lines(summary.byFunction)}`,
      );
    }
  }
}

runMain(USAGE, main);
