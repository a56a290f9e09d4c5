import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createArchiveApp } from '../../functions/archive/app.js';
import { openFileStore } from '../../functions/archive/file-store.js';
import { toEvent } from '../../functions/core/personnage.js';
import {
  parseCloudTraceContext,
  parseTraceparent,
  toTraceparent,
} from '../../functions/core/trace.js';
import {
  captureLog,
  PUSH_TOKEN,
  pushBody,
  tempDataDir,
} from '../archive/fixtures.js';
import { defer } from '../harness/index.js';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';

describe('trace headers', () => {
  it.each([
    [`00-${TRACE}-00f067aa0ba902b7-01`, TRACE, '00f067aa0ba902b7', true],
    [`00-${TRACE}-00f067aa0ba902b7-00`, TRACE, '00f067aa0ba902b7', false],
    [`01-${TRACE}-00f067aa0ba902b7-01-future`, TRACE, '00f067aa0ba902b7', true],
  ])('reads traceparent %s', (header, traceId, spanId, sampled) => {
    expect(parseTraceparent(header)).toEqual({ traceId, spanId, sampled });
  });

  it.each([
    `ff-${TRACE}-00f067aa0ba902b7-01`,
    `00-${'0'.repeat(32)}-00f067aa0ba902b7-01`,
    `00-${TRACE}-${'0'.repeat(16)}-01`,
    `00-${TRACE}-00f067aa0ba902b7`,
    'garbage',
  ])('ignores the invalid traceparent %s', (header) => {
    expect(parseTraceparent(header)).toBeUndefined();
  });

  it.each([
    [`${TRACE}/1;o=1`, '0000000000000001', true],
    [`${TRACE}/18446744073709551615;o=0`, 'ffffffffffffffff', false],
    [`${TRACE.toUpperCase()}`, undefined, false],
  ])('reads X-Cloud-Trace-Context %s', (header, spanId, sampled) => {
    expect(parseCloudTraceContext(header)).toEqual({
      traceId: TRACE,
      spanId,
      sampled,
    });
  });

  it('writes a traceparent that reads back the same', () => {
    const trace = { traceId: TRACE, spanId: '00f067aa0ba902b7', sampled: true };
    expect(parseTraceparent(toTraceparent(trace))).toEqual(trace);
  });
});

async function archiveWithLog() {
  const { log, lines } = captureLog();
  const store = await openFileStore({ dir: await tempDataDir(), log });
  defer(() => store.close());
  const app = createArchiveApp({
    store,
    log,
    pushToken: PUSH_TOKEN,
    projectId: 'relais-test',
  });
  const event = toEvent({ nom: 'Goku', score: 95 }, randomUUID(), new Date());
  return { app, lines, event };
}

describe('request logs in Cloud Logging shape', () => {
  it('binds the request trace and id to the push decision', async () => {
    const { app, lines, event } = await archiveWithLog();

    const res = await app.request(`/push?token=${PUSH_TOKEN}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-cloud-trace-context': `${TRACE}/1;o=1`,
        'x-request-id': 'req-42',
      },
      body: pushBody(event, '7', { eventId: event.id }),
    });

    expect(res.status).toBe(204);
    expect(res.headers.get('x-request-id')).toBe('req-42');
    const line = lines.find((l) => l.decision === 'archived');
    expect(line).toMatchObject({
      severity: 'INFO',
      requestId: 'req-42',
      eventId: event.id,
      messageId: '7',
      'logging.googleapis.com/trace': `projects/relais-test/traces/${TRACE}`,
      'logging.googleapis.com/spanId': '0000000000000001',
      'logging.googleapis.com/trace_sampled': true,
    });
  });

  it('follows the trace ingest put in the message attributes', async () => {
    const { app, lines, event } = await archiveWithLog();
    const ingestTrace = 'a'.repeat(32);

    await app.request(`/push?token=${PUSH_TOKEN}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: pushBody(event, '8', {
        eventId: event.id,
        traceparent: `00-${ingestTrace}-${'b'.repeat(16)}-01`,
      }),
    });

    const line = lines.find((l) => l.decision === 'archived');
    expect(line?.['logging.googleapis.com/trace']).toBe(
      `projects/relais-test/traces/${ingestTrace}`,
    );
    expect(line?.requestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('binds the request id to refusals too', async () => {
    const { app, lines } = await archiveWithLog();

    await app.request('/push', {
      method: 'POST',
      headers: { 'x-request-id': 'req-43' },
    });

    expect(lines.find((l) => l.status === 401)).toMatchObject({
      severity: 'WARNING',
      requestId: 'req-43',
    });
  });
});
