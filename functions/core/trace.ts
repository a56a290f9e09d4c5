import { randomBytes } from 'node:crypto';

/** A request's trace, as Cloud Trace and Cloud Logging name it. */
export interface TraceContext {
  /** 32 lowercase hex digits. */
  traceId: string;
  /** 16 lowercase hex digits, when the caller named its span. */
  spanId: string | undefined;
  sampled: boolean;
}

const TRACEPARENT =
  /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(?:-.*)?$/;

/**
 * Parses a W3C `traceparent` header (version 00, or a later version read
 * as 00 as the spec asks). An all-zero trace or span id is invalid.
 * https://www.w3.org/TR/trace-context/#traceparent-header
 */
export function parseTraceparent(
  header: string | undefined,
): TraceContext | undefined {
  const match = TRACEPARENT.exec(header?.trim().toLowerCase() ?? '');
  if (!match) return undefined;
  const [, version, traceId = '', spanId = '', flags = '00'] = match;
  if (version === 'ff' || /^0+$/.test(traceId) || /^0+$/.test(spanId)) {
    return undefined;
  }
  return {
    traceId,
    spanId,
    sampled: (Number.parseInt(flags, 16) & 1) === 1,
  };
}

/**
 * Parses Google's `X-Cloud-Trace-Context: TRACE_ID/SPAN_ID;o=1`; the span
 * id is decimal there and becomes 16 hex digits here.
 * https://cloud.google.com/trace/docs/trace-context#legacy-http-header
 */
export function parseCloudTraceContext(
  header: string | undefined,
): TraceContext | undefined {
  const match = /^([0-9a-fA-F]{32})(?:\/(\d{1,20}))?(?:;o=([01]))?$/.exec(
    header?.trim() ?? '',
  );
  if (!match?.[1] || /^0+$/.test(match[1])) return undefined;
  let spanId: string | undefined;
  if (match[2] !== undefined) {
    const span = BigInt(match[2]);
    if (span > 0n && span < 2n ** 64n) {
      spanId = span.toString(16).padStart(16, '0');
    }
  }
  return {
    traceId: match[1].toLowerCase(),
    spanId,
    sampled: match[3] === '1',
  };
}

/** The trace of a request: `traceparent` first, then Google's header. */
export function traceOf(
  header: (name: string) => string | undefined,
): TraceContext | undefined {
  return (
    parseTraceparent(header('traceparent')) ??
    parseCloudTraceContext(header('x-cloud-trace-context'))
  );
}

/**
 * The fields that put a log line in its trace in Cloud Logging.
 * https://cloud.google.com/logging/docs/structured-logging#special-payload-fields
 */
export function traceLogFields(
  projectId: string,
  trace: TraceContext | undefined,
): Record<string, string | boolean> {
  if (!trace) return {};
  return {
    'logging.googleapis.com/trace': `projects/${projectId}/traces/${trace.traceId}`,
    ...(trace.spanId ? { 'logging.googleapis.com/spanId': trace.spanId } : {}),
    'logging.googleapis.com/trace_sampled': trace.sampled,
  };
}

/**
 * `trace` as a `traceparent` value, to carry it in message attributes; a
 * trace without a span id gets a fresh one (the header requires it).
 */
export function toTraceparent(trace: TraceContext): string {
  const span = trace.spanId ?? randomBytes(8).toString('hex');
  return `00-${trace.traceId}-${span}-${trace.sampled ? '01' : '00'}`;
}
