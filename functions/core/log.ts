import { createGcpLoggingPinoConfig } from '@google-cloud/pino-logging-gcp-config';
import { type DestinationStream, type Logger, pino } from 'pino';

export type { Logger } from 'pino';

export interface LoggerOptions {
  /** The function's name, reported as the Cloud Logging service. */
  service: string;
  /** Project used for the `logging.googleapis.com/trace` field. */
  projectId: string;
  level?: string;
  /** Where the lines go; standard output when absent (tests pass a sink). */
  destination?: DestinationStream;
}

/**
 * One JSON object per line, in the shape Cloud Logging reads from standard
 * output: `severity`, `message`, `time`, and `logging.googleapis.com/trace`
 * when a trace id is bound. Project and service are given explicitly so the
 * logger never probes the metadata server.
 *
 * Values under the keys listed in `redact` never reach a line.
 */
export function createLogger(options: LoggerOptions): Logger {
  const config = createGcpLoggingPinoConfig(
    {
      serviceContext: { service: options.service },
      traceGoogleCloudProjectId: options.projectId,
      inihibitDiagnosticMessage: true,
    },
    {
      level: options.level ?? 'info',
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
    },
  );
  return options.destination ? pino(config, options.destination) : pino(config);
}

/** A logger that drops everything, for tests that do not read logs. */
export const silentLogger: Logger = pino({ level: 'silent' });
