import { describe, expect, it } from 'vitest';
import { createLogger } from '../../functions/core/log.js';

function capture(level?: string) {
  const lines: Record<string, unknown>[] = [];
  const log = createLogger({
    service: 'ingest',
    level,
    destination: {
      write: (line: string) => {
        lines.push(JSON.parse(line) as Record<string, unknown>);
      },
    },
  });
  return { log, lines };
}

describe('createLogger: Cloud Logging structured lines', () => {
  it('writes severity, message, a {seconds, nanos} timestamp and the service', () => {
    const { log, lines } = capture();
    const before = Date.now();
    log.info({ eventId: 'e1' }, 'webhook received');
    const line = lines[0] ?? {};
    expect(line).toMatchObject({
      severity: 'INFO',
      message: 'webhook received',
      eventId: 'e1',
      serviceContext: { service: 'ingest' },
    });
    expect(line).not.toHaveProperty('msg');
    expect(line).not.toHaveProperty('pid');
    expect(line).not.toHaveProperty('hostname');
    const { seconds, nanos } = line.timestamp as {
      seconds: number;
      nanos: number;
    };
    const ms = seconds * 1000 + nanos / 1e6;
    expect(Number.isInteger(seconds) && Number.isInteger(nanos)).toBe(true);
    expect(nanos).toBeGreaterThanOrEqual(0);
    expect(nanos).toBeLessThan(1e9);
    expect(ms).toBeGreaterThanOrEqual(before);
    expect(ms).toBeLessThanOrEqual(Date.now());
  });

  it('maps every pino level to a Cloud Logging severity', () => {
    const { log, lines } = capture('trace');
    log.trace('t');
    log.debug('d');
    log.info('i');
    log.warn('w');
    log.error('e');
    log.fatal('f');
    expect(lines.map((l) => l.severity)).toEqual([
      'DEBUG',
      'DEBUG',
      'INFO',
      'WARNING',
      'ERROR',
      'CRITICAL',
    ]);
  });

  it('adds stack_trace for an err, so Error Reporting picks it up', () => {
    const { log, lines } = capture();
    log.error({ err: new Error('disk full') }, 'append failed');
    expect(lines[0]?.stack_trace).toMatch(/^Error: disk full\n\s+at /);
    expect(lines[0]?.err).toMatchObject({ message: 'disk full' });
  });

  it('keeps bound trace fields and redacts secrets', () => {
    const { log, lines } = capture();
    log
      .child({ 'logging.googleapis.com/trace': 'projects/p/traces/abc' })
      .warn({ headers: { authorization: 'Bearer s3cret' }, secret: 'x' }, 'no');
    expect(lines[0]).toMatchObject({
      severity: 'WARNING',
      'logging.googleapis.com/trace': 'projects/p/traces/abc',
      headers: { authorization: '[redacted]' },
      secret: '[redacted]',
    });
    expect(JSON.stringify(lines[0])).not.toContain('s3cret');
  });

  it('writes nothing below its level', () => {
    const { log, lines } = capture('warn');
    log.info('quiet');
    expect(lines).toEqual([]);
  });
});
