import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { freePort } from '../../emulator/launcher.js';
import { loadConfig } from '../../functions/core/config.js';
import type { FunctionName } from '../../functions/core/runtime.js';
import { builders } from '../../functions/registry.js';
import {
  createTestTopology,
  defer,
  emulatorEnv,
  spawnTracked,
  startFunctionServer,
  TEST_PUSH_TOKEN,
  type UniqueNames,
  uniqueNames,
  waitFor,
} from '../harness/index.js';

/**
 * The whole pipeline on the real emulator: ingest publishes to a topic of
 * this test's own, whose push subscriptions call archive and notify. The
 * three functions are wired by their real composition roots from one
 * configuration, as `npm start` wires them.
 */
async function pipelineEnv(names: UniqueNames) {
  const dataDir = await mkdtemp(join(tmpdir(), 'relais-pipeline-'));
  return {
    ...emulatorEnv(),
    TOPIC: names.topic,
    DATA_DIR: dataDir,
    PUSH_TOKEN: TEST_PUSH_TOKEN,
    LOG_LEVEL: 'silent',
  };
}

async function build(name: FunctionName, env: Record<string, string>) {
  const runtime = await builders[name](loadConfig(env));
  defer(() => runtime.close());
  return runtime.app;
}

async function postPersonnage(ingest: Hono, body: unknown): Promise<Response> {
  return ingest.request('/webhook/personnage', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

async function archivedIds(dataDir: string): Promise<string[]> {
  const text = await readFile(join(dataDir, 'webhook_log.json'), 'utf8').catch(
    () => '[]',
  );
  return (JSON.parse(text) as { id: string }[]).map((e) => e.id);
}

async function notifiedLines(dataDir: string, id: string): Promise<string[]> {
  const text = await readFile(join(dataDir, 'notifications.txt'), 'utf8').catch(
    () => '',
  );
  return text.split('\n').filter((line) => line.includes(id));
}

/** Gives a late redelivery the time to show up before counting. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 1_500));

describe('the pipeline, in process', () => {
  async function startPipeline() {
    const names = uniqueNames('pipe');
    const env = await pipelineEnv(names);
    const ingest = await build('ingest', env);
    const archive = await startFunctionServer(await build('archive', env));
    const notify = await startFunctionServer(await build('notify', env));
    await createTestTopology({
      names,
      pushBase: { archive: archive.url, notify: notify.url },
    });
    return { ingest, notify, dataDir: env.DATA_DIR };
  }

  it('archives and notifies a webhook exactly once', async () => {
    const { ingest, dataDir } = await startPipeline();

    const res = await postPersonnage(ingest, { nom: 'Sasuke', score: 95 });
    expect(res.status).toBe(202);
    const { event } = (await res.json()) as { event: { id: string } };

    await waitFor(async () => (await archivedIds(dataDir)).includes(event.id));
    await waitFor(async () => (await notifiedLines(dataDir, event.id)).length);
    await settle();
    expect(await archivedIds(dataDir)).toEqual([event.id]);
    const lines = await notifiedLines(dataDir, event.id);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('Sasuke (légendaire)');
    const log = JSON.parse(
      await readFile(join(dataDir, 'webhook_log.json'), 'utf8'),
    );
    expect(log[0]).toMatchObject({ nom: 'Sasuke', niveau: 'légendaire' });
  });

  it('publishes nothing for an invalid body', async () => {
    const { ingest, dataDir } = await startPipeline();

    const bad = await postPersonnage(ingest, { nom: '', score: 'x' });
    expect(bad.status).toBe(422);
    // A valid event sent after it: once it is archived, anything the
    // invalid body had published would have been archived too.
    const control = await postPersonnage(ingest, { nom: 'Tom', score: 88 });
    const { event } = (await control.json()) as { event: { id: string } };
    await waitFor(async () => (await archivedIds(dataDir)).includes(event.id));
    await settle();
    expect(await archivedIds(dataDir)).toEqual([event.id]);
  });

  it('archives but does not notify while notifications are off', async () => {
    const { ingest, notify, dataDir } = await startPipeline();
    const off = await fetch(`${notify.url}/subscribe`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ enabled: false }),
    });
    expect(off.status).toBe(200);

    const res = await postPersonnage(ingest, { nom: 'Naruto', score: 85 });
    const { event } = (await res.json()) as { event: { id: string } };
    await waitFor(async () => (await archivedIds(dataDir)).includes(event.id));
    await settle();
    expect(await notifiedLines(dataDir, event.id)).toEqual([]);
  });
});

describe('the pipeline under the real functions-framework server', () => {
  /** One function as Cloud Run runs it: `functions-framework --target`. */
  async function serve(target: FunctionName, env: Record<string, string>) {
    const port = await freePort();
    const server = spawnTracked(
      'node_modules/.bin/functions-framework',
      [`--target=${target}`, '--source=functions/index.ts', `--port=${port}`],
      {
        env: {
          PATH: process.env.PATH,
          NODE_OPTIONS: '--import tsx',
          FUNCTION_TARGET: target,
          ...env,
        },
      },
    );
    const url = `http://127.0.0.1:${port}`;
    await waitFor(
      async () => {
        if (server.child.exitCode !== null) {
          throw new Error(`${target} exited: ${server.output()}`);
        }
        return (await fetch(`${url}/healthz`).catch(() => undefined))?.ok;
      },
      { timeoutMs: 30_000, message: `functions-framework serving ${target}` },
    );
    return url;
  }

  it('wires FUNCTION_TARGET at start: archive repairs its file unasked', async () => {
    const env = await pipelineEnv(uniqueNames('ff'));
    const log = join(env.DATA_DIR, 'webhook_log.json');
    await writeFile(log, '[\n {"torn');

    const port = await freePort();
    spawnTracked(
      'node_modules/.bin/functions-framework',
      ['--target=archive', '--source=functions/index.ts', `--port=${port}`],
      {
        env: {
          PATH: process.env.PATH,
          NODE_OPTIONS: '--import tsx',
          FUNCTION_TARGET: 'archive',
          ...env,
        },
      },
    );

    await waitFor(async () => (await readFile(log, 'utf8')) === '[\n]\n', {
      timeoutMs: 30_000,
      message: 'the torn archive repaired without a request',
    });
  });

  it('delivers pushes to archive and notify through it', async () => {
    const names = uniqueNames('ff');
    const env = await pipelineEnv(names);
    const [archive, notify] = await Promise.all([
      serve('archive', env),
      serve('notify', env),
    ]);
    await createTestTopology({ names, pushBase: { archive, notify } });
    const ingest = await build('ingest', env);

    const res = await postPersonnage(ingest, { nom: 'Olive', score: 92 });
    expect(res.status).toBe(202);
    const { event } = (await res.json()) as { event: { id: string } };
    await waitFor(
      async () => (await archivedIds(env.DATA_DIR)).includes(event.id),
      { timeoutMs: 20_000 },
    );
    await waitFor(
      async () => (await notifiedLines(env.DATA_DIR, event.id)).length,
      { timeoutMs: 20_000 },
    );
    const listing = await fetch(`${archive}/personnages`);
    expect(await listing.json()).toMatchObject({
      items: [{ id: event.id, nom: 'Olive', niveau: 'légendaire' }],
    });
  });
});
