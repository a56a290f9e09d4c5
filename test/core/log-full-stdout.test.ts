import { open, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { freePort } from '../../emulator/ports.js';
import { tempDataDir } from '../archive/fixtures.js';
import {
  defer,
  spawnTracked,
  tsxUnderFileSizeLimit,
  waitFor,
} from '../harness/index.js';

const TOKEN = 'log-test-token-0123456789';

// Standard output redirected to a file that can grow no more (a full
// disk; here a file size limit of 2 KiB). The function used to hang in
// sonic-boom's endless retry, deaf to requests and to SIGTERM.
it.each([
  ['standard output', false],
  ['standard output and error (> file 2>&1)', true],
])('goes on serving, and stops on SIGTERM, once %s fails', async (_, both) => {
  const dir = await tempDataDir();
  const out = await open(join(dir, 'stdout.log'), 'w');
  defer(() => out.close());
  const port = await freePort();
  const server = spawnTracked(
    ...tsxUnderFileSizeLimit(2, 'functions/server.ts', ['archive']),
    {
      stdio: ['ignore', out.fd, both ? out.fd : 'pipe'],
      env: {
        ...process.env,
        ARCHIVE_PORT: String(port),
        HOST: '127.0.0.1',
        DATA_DIR: dir,
        PUSH_TOKEN: TOKEN,
        LOG_LEVEL: 'info',
      },
    },
  );
  const base = `http://127.0.0.1:${port}`;
  await waitFor(
    () =>
      fetch(`${base}/healthz`).then(
        (r) => r.ok,
        () => false,
      ),
    {
      message: 'archive to answer',
    },
  );

  // Each refused push logs a warning: enough of them to fill the 2 KiB.
  for (let i = 0; i < 30; i++) {
    const res = await fetch(`${base}/push?token=${TOKEN}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"bad":1}',
      signal: AbortSignal.timeout(2_000),
    });
    expect(res.status).toBe(400);
  }

  expect((await stat(join(dir, 'stdout.log'))).size).toBe(2048);
  const health = await fetch(`${base}/healthz`, {
    signal: AbortSignal.timeout(2_000),
  });
  expect(health.status).toBe(200);
  await server.stop(5_000);
  expect(await server.exited).toEqual({ code: 0, signal: null });
  const said = server.output().match(/^.*logging stopped.*\n/gm) ?? [];
  // Sharing the full file, the notice itself cannot be written.
  expect(said).toEqual(
    both ? [] : ['archive: logging stopped, standard output failed (EFBIG)\n'],
  );
});

it('serves under functions-framework with stdout on a full disk', async () => {
  const full = await open('/dev/full', 'w');
  defer(() => full.close());
  const port = await freePort();
  const server = spawnTracked(
    'node_modules/.bin/functions-framework',
    ['--target=ingest', '--source=functions/index.ts', `--port=${port}`],
    {
      stdio: ['ignore', full.fd, 'pipe'],
      env: {
        ...process.env,
        NODE_OPTIONS: '--import tsx',
        FUNCTION_TARGET: 'ingest',
        HOST: '127.0.0.1',
        DATA_DIR: await tempDataDir(),
        LOG_LEVEL: 'info',
      },
    },
  );

  // Its start-up banner, then every log line, fail with ENOSPC.
  await waitFor(
    () =>
      fetch(`http://127.0.0.1:${port}/healthz`).then(
        (r) => r.ok,
        () => false,
      ),
    { message: 'ingest to answer', timeoutMs: 20_000 },
  );
  expect(server.child.exitCode).toBeNull();
  await server.stop(5_000);
});
