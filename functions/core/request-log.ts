import { randomUUID } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import type { Logger } from './log.js';
import {
  parseTraceparent,
  type TraceContext,
  traceLogFields,
  traceOf,
} from './trace.js';

/** The Hono variables `requestLog` sets. */
export interface RequestLogVariables {
  log: Logger;
  requestId: string;
  trace: TraceContext | undefined;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * Binds a child logger to each request, with its `requestId` (the
 * caller's `X-Request-Id` when it is sane, else a fresh UUID, echoed in
 * the response) and its trace (`traceparent` or `X-Cloud-Trace-Context`)
 * as `logging.googleapis.com/trace`, so Cloud Logging groups the lines of
 * one request under its trace. Handlers read it with `logOf(c)`.
 * https://cloud.google.com/run/docs/logging#correlate-logs
 */
export function requestLog(log: Logger, projectId: string): MiddlewareHandler {
  return async (c, next) => {
    const given = c.req.header('x-request-id');
    const requestId = given && REQUEST_ID.test(given) ? given : randomUUID();
    const trace = traceOf((name) => c.req.header(name));
    c.set('requestId', requestId);
    c.set('trace', trace);
    c.set('log', log.child({ requestId, ...traceLogFields(projectId, trace) }));
    c.header('X-Request-Id', requestId);
    await next();
  };
}

/** The request's trace as `requestLog` read it from its headers. */
export function traceOfRequest(c: Context): TraceContext | undefined {
  return c.get('trace') as TraceContext | undefined;
}

/** The request's logger from `requestLog`, or `fallback` without it. */
export function logOf(c: Context, fallback: Logger): Logger {
  const bound: unknown = c.get('log');
  return bound ? (bound as Logger) : fallback;
}

/**
 * A push's logger: the request's, bound to the trace ingest put in the
 * message's `traceparent` attribute, if any, so one event can be followed
 * from ingest to archive and notify (its lines also carry `eventId`).
 */
export function pushLog(
  log: Logger,
  projectId: string,
  attributes: Record<string, string> = {},
): Logger {
  const trace = parseTraceparent(attributes.traceparent);
  return trace ? log.child(traceLogFields(projectId, trace)) : log;
}
