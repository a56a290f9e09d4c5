import { type DestinationStream, type Logger, pino } from 'pino';

export type { Logger } from 'pino';

export interface LoggerOptions {
  /** The function's name, reported as the Cloud Logging service. */
  service: string;
  level?: string;
  /** Where the lines go; standard output when absent (tests pass a sink). */
  destination?: DestinationStream;
}

/** pino's level labels as Cloud Logging severities. */
const SEVERITY: Record<string, string> = {
  trace: 'DEBUG',
  debug: 'DEBUG',
  info: 'INFO',
  warn: 'WARNING',
  error: 'ERROR',
  fatal: 'CRITICAL',
};

/**
 * Cloud Logging's `{seconds, nanos}` timestamp, written as a JSON fragment
 * (pino's `timestamp` contract): cheaper than an ISO string.
 */
function timestamp(): string {
  const ms = Date.now();
  const seconds = Math.floor(ms / 1000);
  return `,"timestamp":{"seconds":${seconds},"nanos":${(ms - seconds * 1000) * 1_000_000}}`;
}

/**
 * One JSON object per line, in the shape Cloud Logging reads from standard
 * output (https://cloud.google.com/logging/docs/structured-logging):
 * `severity`, `message`, `timestamp`, `serviceContext` (so Error Reporting
 * groups errors by function), `stack_trace` when an `err` is logged, and
 * the `logging.googleapis.com/trace` fields that `requestLog` binds.
 *
 * These are pino options, not a formatter of our own. Google's
 * pino-logging-gcp-config wrote the same fields, but it loads the whole
 * Cloud Logging client to do so (about 37 MiB per process, measured by
 * `npm run bench`) and copies every line's object to add an insert id.
 *
 * Values under the keys listed in `redact` never reach a line.
 */
export function createLogger(options: LoggerOptions): Logger {
  const config: pino.LoggerOptions = {
    level: options.level ?? 'info',
    messageKey: 'message',
    // Written once per logger, not per line; no pid or hostname.
    base: { serviceContext: { service: options.service } },
    timestamp,
    formatters: {
      level: (label) => ({ severity: SEVERITY[label] ?? 'DEFAULT' }),
      log: (entry) =>
        entry.err instanceof Error && entry.err.stack
          ? { ...entry, stack_trace: entry.err.stack }
          : entry,
    },
    redact: {
      paths: [
        'authorization',
        'token',
        'secret',
        'headers.authorization',
        'headers["x-api-key"]',
      ],
      censor: '[redacted]',
    },
  };
  return pino(config, options.destination ?? standardOutput(options.service));
}

/**
 * Standard output as pino writes it by default, except when a write fails
 * (stdout redirected to a file on a full disk, or over `ulimit -f`). pino
 * stops logging on EPIPE only; any other error is thrown, and sonic-boom's
 * flush at exit (4.x) then retries the write forever: the function hung,
 * ignoring SIGTERM, instead of serving. Here logging stops on any write
 * error, said once on stderr, and the function goes on serving: what it
 * keeps is in its data files, which fail on their own terms.
 */
function standardOutput(service: string): DestinationStream {
  survivePlainStreamErrors();
  const stream = pino.destination({ fd: process.stdout.fd || 1 });
  let stopped = false;
  // Writes already under way can fail after the first: each is an 'error'.
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (stopped) return;
    stopped = true;
    const off = () => undefined;
    Object.assign(stream, { write: off, flushSync: off, end: off });
    // The global console drops its own write errors: stderr is often the
    // same failing file (`> log 2>&1`).
    console.error(
      `${service}: logging stopped, standard output failed (${err.code ?? err.message})`,
    );
  });
  return stream;
}

/**
 * Keeps a failing process.stdout or process.stderr (a full disk, a reader
 * gone) from ending the process with an unhandled 'error': what is written
 * there is for people, and the process has work to finish. Once per
 * process.
 */
export function survivePlainStreamErrors(): void {
  for (const stream of [process.stdout, process.stderr]) {
    if (!stream.listeners('error').includes(ignoreStreamError)) {
      stream.on('error', ignoreStreamError);
    }
  }
}

function ignoreStreamError(): void {}

/** A logger that drops everything, for tests that do not read logs. */
export const silentLogger: Logger = pino({ level: 'silent' });
