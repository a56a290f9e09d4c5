/**
 * `npm run tail`: follows the archive (`webhook_log.json`) and notify's
 * `notifications.txt` in DATA_DIR and prints one line per event as they
 * are written. Ctrl-C stops it.
 */
import { join } from 'node:path';
import { z } from 'zod';
import { ARCHIVE_FILE } from '../functions/archive/file-store.js';
import { loadConfig } from '../functions/core/config.js';
import { wholeNumber } from '../functions/core/number-text.js';
import { parseCommandLine, runMain } from './lib/args.js';
import { FileFollower, type Restart } from './lib/follow-file.js';
import { onShutdownSignal } from './lib/local-run.js';
import {
  formatTailRecord,
  isArchiveClose,
  parseTailLine,
  type TailSource,
} from './lib/tail-format.js';

const USAGE = `usage: npm run tail -- [options]

Follows what archive and notify write in DATA_DIR, one line per event:
  <time> archive  <nom> · <score> <niveau> · +<ms from receipt> · <id>
  <time> notify   <message> · <id>
Files that do not exist yet are waited for; a file truncated or replaced
is read again from its start. Ctrl-C stops.

  --dir PATH          where the files are (default $DATA_DIR, ./data)
  --only WHICH        archive or notify (default both)
  -n, --lines N       events of each file shown at start (default 10)
      --json          one JSON object per line instead, with "source"
      --interval MS   how often the files are polled (default 250)
  -h, --help          this help`;

const flags = {
  dir: { type: 'string' },
  only: { type: 'string' },
  lines: { type: 'string', short: 'n', default: '10' },
  json: { type: 'boolean', default: false },
  interval: { type: 'string', default: '250' },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

const schema = z.object({
  dir: z.string().min(1).optional(),
  only: z
    .enum(['archive', 'notify'], { error: 'must be archive or notify' })
    .optional(),
  lines: wholeNumber(0, 1_000_000),
  json: z.boolean(),
  interval: wholeNumber(10, 60_000),
  help: z.boolean(),
});

const FILES: Record<TailSource, string> = {
  archive: ARCHIVE_FILE,
  notify: 'notifications.txt',
};

interface Followed {
  source: TailSource;
  follower: FileFollower;
  seen: boolean;
}

async function main(): Promise<void> {
  const args = parseCommandLine(process.argv.slice(2), flags, schema);
  if (args.help) {
    console.log(USAGE);
    return;
  }
  const dir = args.dir ?? loadConfig().dataDir;
  const sources: TailSource[] = args.only ? [args.only] : ['archive', 'notify'];
  const followed: Followed[] = sources.map((source) => ({
    source,
    seen: false,
    follower: new FileFollower(join(dir, FILES[source]), {
      holdBack: source === 'archive' ? isArchiveClose : undefined,
    }),
  }));
  const print = (source: TailSource, line: string) => {
    const record = parseTailLine(source, line);
    if (!record) return;
    console.log(args.json ? JSON.stringify(record) : formatTailRecord(record));
  };

  let stopped = false;
  let wake: (() => void) | undefined;
  onShutdownSignal(() => {
    stopped = true;
    wake?.();
  });
  // `npm run tail | head` closes the pipe: that is a normal end too.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
    stopped = true;
    wake?.();
  });

  let first = true;
  while (!stopped) {
    for (const f of followed) {
      const read = await f.follower.read();
      if (read.restart) note(f.follower.path, read.restart);
      if (!read.exists && !f.seen && first) {
        note(f.follower.path, 'waiting');
      }
      f.seen ||= read.exists;
      const lines = first
        ? lastEvents(f.source, read.lines, args.lines)
        : read.lines;
      for (const line of lines) print(f.source, line);
    }
    first = false;
    await new Promise<void>((resolve) => {
      wake = resolve;
      setTimeout(resolve, args.interval);
    });
  }
}

/** The last `n` lines of `lines` that hold events. */
function lastEvents(source: TailSource, lines: string[], n: number): string[] {
  if (n === 0) return [];
  const events = lines.filter((line) => parseTailLine(source, line));
  return events.slice(-n);
}

function note(path: string, what: Restart | 'waiting'): void {
  const says: Record<Restart | 'waiting', string> = {
    waiting: 'does not exist yet; waiting for it',
    truncated: 'was truncated; reading it from its start',
    replaced: 'was replaced; reading the new file from its start',
    removed: 'was removed; waiting for it to come back',
  };
  console.error(`tail: ${path} ${says[what]}`);
}

runMain(USAGE, main);
