import { type ParseArgsConfig, parseArgs } from 'node:util';
import { z } from 'zod';
import { firstIssuePerPath } from '../../functions/core/config.js';
import {
  positiveDecimal,
  wholeNumber,
} from '../../functions/core/number-text.js';

/** A command line that cannot run: printed with the usage, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

const count = wholeNumber(1, 10_000_000);

/** The options every load script shares, validated. */
export const loadFlags = {
  count: { type: 'string', short: 'n' },
  concurrency: { type: 'string', short: 'c', default: '10' },
  rate: { type: 'string', short: 'r' },
  file: { type: 'string', short: 'f' },
  'no-progress': { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const satisfies ParseArgsConfig['options'];

export const loadSchema = z.object({
  count: count.optional(),
  concurrency: wholeNumber(1, 1000),
  rate: positiveDecimal().optional(),
  file: z.string().optional(),
  'no-progress': z.boolean(),
  help: z.boolean(),
});

/**
 * How many a load script sends: `--count` when given; else the whole of
 * `--file` once, or 10 from the built-in set. (A count beyond the records
 * goes round them again.)
 */
export function loadCount(
  args: { count?: number | undefined; file?: string | undefined },
  records: number,
): number {
  return args.count ?? (args.file === undefined ? 10 : records);
}

/**
 * Parses argv with `node:util` and validates the values with a zod schema,
 * turning either failure into a `UsageError` that names the option.
 */
export function parseCommandLine<S extends z.ZodType>(
  argv: string[],
  options: ParseArgsConfig['options'],
  schema: S,
): z.infer<S> {
  let values: Record<string, unknown>;
  try {
    ({ values } = parseArgs({ args: argv, options, strict: true }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const parsed = schema.safeParse(values);
  if (!parsed.success) {
    throw new UsageError(
      firstIssuePerPath(parsed.error.issues)
        .map((i) => `--${i.path.join('.')}: ${i.message}`)
        .join('\n'),
    );
  }
  return parsed.data;
}

/**
 * Runs a script's main: `--help` or `-h` anywhere before a `--` prints the
 * usage and exits 0 without running it; a `UsageError` prints the usage
 * and exits 2, any other error prints its message (not a stack) and
 * exits 1.
 */
export function runMain(
  usage: string,
  main: () => Promise<void>,
  argv: readonly string[] = process.argv.slice(2),
): void {
  const options = argv.slice(0, argv.indexOf('--') >>> 0);
  if (options.includes('--help') || options.includes('-h')) {
    console.log(usage);
    return;
  }
  main().catch((err: unknown) => {
    if (err instanceof UsageError) {
      console.error(`${err.message}\n\n${usage}`);
      process.exitCode = 2;
    } else {
      console.error(`error: ${(err as Error).message}`);
      process.exitCode = 1;
    }
  });
}
