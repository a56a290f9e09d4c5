import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort } from '../../emulator/ports.js';
import { runScript, STACK_LINE } from './support.js';

/** An emulator address where nothing listens. */
async function deadEmulator() {
  return {
    PUBSUB_EMULATOR_HOST: `127.0.0.1:${await freePort()}`,
    PUBSUB_PROJECT_ID: 'relais-test',
  };
}

describe('script errors', () => {
  it.each([
    ['scripts/replay.ts', [], '--from is required'],
    ['scripts/replay.ts', ['--from', 'nowhere'], '--from: must be archive'],
    ['scripts/replay.ts', ['--from', 'archive', '--limit', '0'], '--limit'],
    ['scripts/replay.ts', ['--from', 'archive', '--since', 'hier'], '--since'],
    ['scripts/replay.ts', ['--from', 'archive', '--bogus'], "'--bogus'"],
    ['scripts/tail.ts', ['--only', 'ingest'], '--only: must be archive'],
    ['scripts/tail.ts', ['--lines', 'many'], '--lines'],
    ['scripts/send-webhooks.ts', ['--count', '-3'], '--count'],
    ['scripts/send-webhooks.ts', ['--count', '0x10'], '--count'],
    ['scripts/send-webhooks.ts', ['--rate', '1e3'], '--rate'],
    ['scripts/send-webhooks.ts', ['--count', '1'.repeat(20)], '--count'],
    ['scripts/replay.ts', ['--from', 'archive', '--limit', '1e1'], '--limit'],
    ['scripts/publish.ts', ['--batch-max-messages', '0'], '--batch-max'],
  ])('%s %j exits 2 with the usage', async (script, args, message) => {
    const run = runScript(script, args);

    expect((await run.exited).code).toBe(2);
    expect(run.output()).toContain(message);
    // One complaint per option, even when zod has two.
    const complaints = run.output().match(/^--[\w-]+(?=: )/gm) ?? [];
    expect(new Set(complaints).size).toBe(complaints.length);
    expect(run.output()).toMatch(/usage: npm run \w+/);
  });

  it.each([
    ['scripts/start.ts', '--help'],
    ['scripts/emulator.ts', '--help'],
    ['scripts/topology.ts', '-h'],
    ['scripts/check-archive.ts', '--help'],
    ['scripts/function.ts', '--help'],
    ['scripts/send-webhooks.ts', '--help'],
    ['scripts/provision.ts', '--help'],
    ['bench/run.ts', '--help'],
  ])('%s %s prints the usage and exits 0', async (script, flag) => {
    const run = runScript(script, [flag]);

    expect((await run.exited).code).toBe(0);
    expect(run.output()).toMatch(/^usage: npm (start|run [\w:]+)/);
  });

  it.each([
    [['--help'], 0],
    [['-h'], 0],
    [[], 2],
    [['ingester'], 2],
  ])(
    'functions/server.ts %j prints its usage and exits %i',
    async (args, code) => {
      const run = runScript('functions/server.ts', args);

      expect((await run.exited).code).toBe(code);
      expect(run.output()).toMatch(
        /^usage: server.js <ingest\|archive\|notify>/,
      );
    },
  );

  it.each(['10.255.255.254'])(
    'functions/server.ts names HOST when it cannot listen on %s',
    async (host) => {
      const port = String(await freePort());
      const run = runScript('functions/server.ts', ['ingest'], {
        HOST: host,
        INGEST_PORT: port,
      });

      expect((await run.exited).code).toBe(1);
      expect(run.output()).toMatch(
        new RegExp(
          `^ingest: cannot listen on HOST=${host.replaceAll('.', '\\.')} \\(E`,
          'm',
        ),
      );
      expect(run.output()).not.toMatch(STACK_LINE);
    },
  );

  it('scripts/emulator.ts refuses to push to its own port', async () => {
    const port = String(await freePort());
    const run = runScript('scripts/emulator.ts', [], {
      PUBSUB_EMULATOR_HOST: `127.0.0.1:${port}`,
      ARCHIVE_PORT: port,
    });

    expect((await run.exited).code).toBe(1);
    expect(run.output()).toContain(
      `port ${port} is set for both PUBSUB_EMULATOR_HOST and ARCHIVE_PORT`,
    );
  });

  it.each([
    ['scripts/replay.ts', ['--from', 'dead-letter']],
    ['scripts/replay.ts', ['--from', 'archive']],
    ['scripts/publish.ts', ['--count', '1']],
  ])(
    '%s %j says the emulator is not running, in one line',
    async (script, args) => {
      const dir = await mkdtemp(join(tmpdir(), 'relais-errors-'));
      const env = { ...(await deadEmulator()), DATA_DIR: dir };
      if (args.includes('archive')) {
        const { writeFile } = await import('node:fs/promises');
        await writeFile(join(dir, 'webhook_log.json'), '[\n]\n');
      }

      const run = runScript(script, args, env);

      expect((await run.exited).code).toBe(1);
      const output = run.output().trim();
      expect(output).toBe(
        `error: no Pub/Sub emulator at ${env.PUBSUB_EMULATOR_HOST}; start it ` +
          'with npm start or npm run emulator (or set PUBSUB_EMULATOR_HOST)',
      );
    },
  );

  it('replay names a missing archive file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'relais-errors-'));

    const run = runScript('scripts/replay.ts', ['--from', 'archive'], {
      DATA_DIR: dir,
    });

    expect((await run.exited).code).toBe(1);
    expect(run.output()).toContain(`no archive at ${dir}/webhook_log.json`);
    expect(run.output()).not.toMatch(STACK_LINE);
  });

  it('send says ingest is unreachable, in one line', async () => {
    const port = await freePort();

    const run = runScript('scripts/send-webhooks.ts', [
      '--url',
      `http://127.0.0.1:${port}/webhook/personnage`,
      '--count',
      '1',
    ]);

    expect((await run.exited).code).toBe(1);
    expect(run.output().trim()).toMatch(
      new RegExp(
        `^error: cannot reach http://127.0.0.1:${port} \\(ECONNREFUSED\\); ` +
          'is ingest running\\? Start the pipeline with npm start\\.$',
      ),
    );
  });
});
