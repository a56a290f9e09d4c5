import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { freePort } from '../../emulator/ports.js';
import {
  loadCount,
  loadFlags,
  loadSchema,
  parseCommandLine,
  UsageError,
} from '../../scripts/lib/args.js';
import {
  percentile,
  runLoad,
  summarize,
} from '../../scripts/lib/load-runner.js';
import {
  assertPortsFree,
  failedPushThrottle,
  functionUrl,
  lastWords,
} from '../../scripts/lib/local-run.js';
import { humanLogLine, repeatedWarning } from '../../scripts/lib/log-format.js';
import { loadPersonnages } from '../../scripts/lib/personnages.js';

async function tempFile(content: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'relais-scripts-'));
  const path = join(dir, 'input');
  await writeFile(path, content);
  return path;
}

describe('parseCommandLine', () => {
  const parse = (argv: string[]) =>
    parseCommandLine(argv, loadFlags, loadSchema);

  it('reads numbers and defaults', () => {
    const args = parse(['--count', '5', '-c', '2']);
    expect(args).toMatchObject({ count: 5, concurrency: 2 });
    expect(args.rate).toBeUndefined();
  });

  it.each([
    [[], 10],
    [['--file', 'p.ndjson'], 2],
    [['--file', 'p.ndjson', '--count', '5'], 5],
    [['--count', '1'], 1],
  ])('sends %j: %i (a file once by default)', (argv, expected) => {
    expect(loadCount(parse(argv), 2)).toBe(expected);
  });

  it.each([
    [['--count', 'many'], '--count'],
    [['--count', '0'], '--count'],
    [['--rate', '-1'], '--rate'],
    [['--bogus'], 'bogus'],
  ])('refuses %j naming the option', (argv, name) => {
    expect(() => parse(argv)).toThrow(UsageError);
    expect(() => parse(argv)).toThrow(name);
  });
});

describe('loadPersonnages', () => {
  it('ships a valid built-in data set', async () => {
    const set = await loadPersonnages();
    expect(set.length).toBeGreaterThanOrEqual(20);
    expect(set.map((p) => p.nom)).toContain('Olive Atton');
  });

  it('reads NDJSON and JSON arrays', async () => {
    const nd = await tempFile(
      '{"nom":"A","score":1}\n\n{"nom":"B","score":2}\n',
    );
    const arr = await tempFile('[{"nom":"C","score":3}]');
    expect((await loadPersonnages(nd)).map((p) => p.nom)).toEqual(['A', 'B']);
    expect((await loadPersonnages(arr)).map((p) => p.nom)).toEqual(['C']);
  });

  it('names the entry that is not a personnage', async () => {
    const bad = await tempFile('[{"nom":"A","score":1},{"nom":"B"}]');
    await expect(loadPersonnages(bad)).rejects.toThrow('entry 2');
  });
});

describe('runLoad', () => {
  it('runs every unit once and counts outcomes', async () => {
    const seen: number[] = [];
    const result = await runLoad(
      { count: 20, concurrency: 3, rate: undefined, progress: false },
      async (i) => {
        seen.push(i);
        if (i % 10 === 0) return { error: 'ECONNRESET' };
        return { status: i % 2 ? 202 : 422 };
      },
    );
    expect(seen.sort((a, b) => a - b)).toEqual([...Array(20).keys()]);
    expect(result.byStatus.get(202)).toBe(10);
    expect(result.byStatus.get(422)).toBe(8);
    expect(result.errors.get('ECONNRESET')).toBe(2);
    expect(summarize(result, [202])).toContain(
      'sent 20, accepted 10, rejected 8 (422: 8), errors 2',
    );
  });

  it('starts no unit once its signal aborts, even while pacing', async () => {
    const stop = new AbortController();
    const started = performance.now();

    const result = await runLoad(
      {
        count: 1_000,
        concurrency: 2,
        rate: 10,
        progress: false,
        signal: stop.signal,
      },
      async (i) => {
        if (i === 2) stop.abort();
        return { status: 202 };
      },
    );

    expect(result.sent).toBeLessThanOrEqual(4);
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  it('spaces requests out to the rate', async () => {
    const result = await runLoad(
      { count: 5, concurrency: 5, rate: 50, progress: false },
      async () => ({ status: 202 }),
    );
    expect(result.elapsedMs).toBeGreaterThanOrEqual(75);
  });
});

describe('percentile', () => {
  it('takes the nearest rank', () => {
    const sample = [5, 1, 4, 2, 3, 6, 7, 8, 9, 10];
    expect(percentile(sample, 50)).toBe(5);
    expect(percentile(sample, 99)).toBe(10);
    expect(percentile([], 50)).toBeNaN();
  });
});

describe('humanLogLine', () => {
  it('renders a Cloud Logging JSON line on one readable line', () => {
    const line = JSON.stringify({
      severity: 'INFO',
      level: 30,
      timestamp: { seconds: 1796319330, nanos: 559000000 },
      pid: 1,
      hostname: 'vm',
      decision: 'archived',
      eventId: 'e-1',
      serviceContext: { service: 'archive' },
      'logging.googleapis.com/insertId': 'x',
      message: 'push archived',
    });
    expect(humanLogLine(line)).toBe(
      '17:35:30.559 INFO    push archived decision=archived eventId=e-1',
    );
  });

  it('quotes values with spaces and passes other lines through', () => {
    const line = JSON.stringify({
      severity: 'WARNING',
      message: 'm',
      why: 'a b',
    });
    expect(humanLogLine(line, new Date('2026-01-01T00:00:00Z'))).toBe(
      '00:00:00.000 WARNING m why="a b"',
    );
    expect(humanLogLine('archive listening on http://x')).toBe(
      'archive listening on http://x',
    );
    expect(humanLogLine('{not json')).toBe('{not json');
  });
});

describe('lastWords', () => {
  const lines = Array.from({ length: 40 }, (_, n) => `line ${n}`);

  it('leaves out the output of an emulator killed by a signal', () => {
    expect(lastWords(null, lines)).toBe('');
  });

  it('shows the last ten lines of an emulator that exited by itself', () => {
    const words = lastWords(1, lines);
    expect(words.split('\n').filter((l) => l.includes('emulator |'))).toEqual(
      lines.slice(-10).map((l) => `  emulator | ${l}`),
    );
  });
});

describe('assertPortsFree', () => {
  it('refuses one port given to two variables, naming both', async () => {
    const port = await freePort();
    const other = port === 65535 ? port - 1 : port + 1;

    await expect(
      assertPortsFree([
        { host: '127.0.0.1', port: other, variable: 'PUBSUB_EMULATOR_HOST' },
        { host: '127.0.0.1', port, variable: 'INGEST_PORT' },
        { host: '127.0.0.1', port, variable: 'ARCHIVE_PORT' },
      ]),
    ).rejects.toThrow(
      `port ${port} is set for both INGEST_PORT and ARCHIVE_PORT: give each its own`,
    );
  });
});

describe('failedPushThrottle', () => {
  const failed = (endpoint: string) =>
    `INFO: Failed to push to endpoint '${endpoint}': not an acknowledgement: 503`;
  const archive = 'http://127.0.0.1:8081/push?token=[redacted]';
  const notify = 'http://127.0.0.1:8082/push?token=[redacted]';

  it('shows one failed push per endpoint, then a count every 10 s', () => {
    vi.useFakeTimers();
    try {
      const shown: string[] = [];
      const throttle = failedPushThrottle((line) => shown.push(line));

      // 25 s of notify failing ten times a second; archive once.
      for (let t = 0; t < 25_000; t += 100) {
        throttle(failed(notify));
        if (t === 500) throttle(failed(archive));
        throttle('Pub/Sub emulator ready');
        vi.advanceTimersByTime(100);
      }
      // Then quiet: the last count comes, nothing after it.
      vi.advanceTimersByTime(60_000);
      throttle(failed(notify));

      expect(shown.filter((line) => line !== 'Pub/Sub emulator ready')).toEqual(
        [
          failed(notify),
          failed(archive),
          `INFO: 99 more failed pushes to endpoint '${notify}' in the last 10 s`,
          `INFO: 100 more failed pushes to endpoint '${notify}' in the last 10 s`,
          `INFO: 50 more failed pushes to endpoint '${notify}' in the last 10 s`,
          failed(notify),
        ],
      );
      expect(
        shown.filter((line) => line === 'Pub/Sub emulator ready'),
      ).toHaveLength(250);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('assertPortsFree, on an address of no interface here', () => {
  it.each([
    ['INGEST_PORT', 'HOST'],
    ['PUBSUB_EMULATOR_HOST', 'PUBSUB_EMULATOR_HOST'],
  ])('names the setting to change for %s', async (variable, setting) => {
    await expect(
      assertPortsFree([{ host: '10.255.255.254', port: 46_999, variable }]),
    ).rejects.toThrow(
      'cannot listen on 10.255.255.254:46999 (EADDRNOTAVAIL): ' +
        `set ${setting} to an address of this machine`,
    );
  });
});

describe('functionUrl', () => {
  it.each([
    ['127.0.0.1', 'http://127.0.0.1:8080'],
    ['0.0.0.0', 'http://127.0.0.1:8080'],
    ['::1', 'http://[::1]:8080'],
  ])('reaches a function bound to %s at %s', (host, url) => {
    const ports = { ingest: 8080, archive: 8081, notify: 8082 };
    expect(functionUrl({ host, ports }, 'ingest')).toBe(url);
  });
});

describe('repeatedWarning', () => {
  const line = (fields: Record<string, unknown>) =>
    JSON.stringify({ severity: 'WARNING', message: 'will retry', ...fields });

  it("keys notify's per-push delivery failures by their message", () => {
    expect(repeatedWarning(line({ decision: 'delivery-failed' }))).toBe(
      'will retry',
    );
  });

  it.each([
    [
      'a 422',
      line({ message: 'The personnage is not valid.', decision: 'rejected' }),
    ],
    [
      'an error',
      JSON.stringify({
        severity: 'ERROR',
        message: 'x',
        decision: 'delivery-failed',
      }),
    ],
    ['a line not JSON', 'archive listening on http://127.0.0.1:8081'],
  ])('leaves %s alone', (_, text) => {
    expect(repeatedWarning(text)).toBeUndefined();
  });
});
