import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort, isPortInUse } from '../../emulator/ports.js';
import { defer, spawnTracked, waitFor } from '../harness/index.js';

/** Runs a script the way npm does, without npm in between. */
function runScript(script: string, args: string[], env: NodeJS.ProcessEnv) {
  return spawnTracked(
    process.execPath,
    ['--import', 'tsx', `scripts/${script}.ts`, ...args],
    { env: { ...process.env, ...env } },
  );
}

async function occupy(port: number): Promise<Server> {
  const server = createServer();
  await new Promise<void>((resolve) =>
    server.listen({ host: '127.0.0.1', port }, resolve),
  );
  defer(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return server;
}

/** The pid of the child of `parent` that serves function `name`. */
function childRunning(parent: number, name: string): number {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8')
        .split('\0')
        .filter((arg) => arg !== '');
      if (
        ppid === parent &&
        argv.at(-2) === 'functions/server.ts' &&
        argv.at(-1) === name
      ) {
        return Number(entry);
      }
    } catch {
      // The process ended while being read.
    }
  }
  throw new Error(`no ${name} child of ${parent}`);
}

/** Waits for npm start's ready banner; a timeout shows its output. */
async function readyBanner(script: { output(): string }): Promise<void> {
  await waitFor(() => script.output().includes('Ctrl-C stops everything'), {
    timeoutMs: 40_000,
    message: 'the ready banner',
  }).catch((err: Error) => {
    throw new Error(`${err.message}\n--- output ---\n${script.output()}`);
  });
}

/** Every port of `localEnv` is free again. */
async function expectPortsFree(env: Record<string, string>): Promise<void> {
  for (const port of [
    env.INGEST_PORT,
    env.ARCHIVE_PORT,
    env.NOTIFY_PORT,
    env.PUBSUB_EMULATOR_HOST?.split(':')[1],
  ]) {
    expect(await isPortInUse('127.0.0.1', Number(port))).toBe(false);
  }
}

async function localEnv(): Promise<Record<string, string>> {
  return {
    PUBSUB_EMULATOR_HOST: `127.0.0.1:${await freePort()}`,
    INGEST_PORT: String(await freePort()),
    ARCHIVE_PORT: String(await freePort()),
    NOTIFY_PORT: String(await freePort()),
    DATA_DIR: await mkdtemp(join(tmpdir(), 'relais-scripts-')),
    LOG_LEVEL: 'warn',
  };
}

describe('npm run function', () => {
  it.each([
    [[], 'which function?'],
    [['bogus'], 'unknown function: bogus'],
    [['ingest', 'notify'], 'expected one function name'],
  ])('exits 2 with the usage for arguments %j', async (args, message) => {
    const script = runScript('function', args, {});

    const { code } = await script.exited;

    expect(code).toBe(2);
    expect(script.output()).toContain(message);
    expect(script.output()).toContain('usage: npm run function -- <ingest|');
  });

  it('refuses a port in use, naming its variable', async () => {
    const env = await localEnv();
    await occupy(Number(env.ARCHIVE_PORT));

    const script = runScript('function', ['archive'], env);

    expect((await script.exited).code).toBe(1);
    expect(script.output()).toContain(
      `port ${env.ARCHIVE_PORT} on 127.0.0.1 is already in use`,
    );
    expect(script.output()).toContain('set ARCHIVE_PORT');
  });
});

describe('npm start', () => {
  it('fails at once when a function port is taken, naming the variable', async () => {
    const env = await localEnv();
    await occupy(Number(env.NOTIFY_PORT));

    const script = runScript('start', [], env);

    expect((await script.exited).code).toBe(1);
    expect(script.output()).toContain('set NOTIFY_PORT');
    expect(script.output()).not.toContain('emulator ready');
  });

  it('fails at once when the emulator port is taken', async () => {
    const env = await localEnv();
    const port = Number(env.PUBSUB_EMULATOR_HOST?.split(':')[1]);
    await occupy(port);

    const script = runScript('start', [], env);

    expect((await script.exited).code).toBe(1);
    expect(script.output()).toContain(`port ${port} on 127.0.0.1`);
    expect(script.output()).toContain('set PUBSUB_EMULATOR_HOST');
  });

  it('starts all, restarts a killed function, stops cleanly on SIGTERM', async () => {
    const env = await localEnv();
    const script = runScript('start', [], env);

    await readyBanner(script);
    const ingest = `http://127.0.0.1:${env.INGEST_PORT}`;
    const answer = await fetch(`${ingest}/webhook/personnage`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ nom: 'Sasuke', score: 95 }),
    });
    expect(answer.status).toBe(202);
    expect(script.output()).toContain(
      `curl -X POST ${ingest}/webhook/personnage -H 'Content-Type: ` +
        `application/json' -d '{"nom": "Sasuke", "score": 95}'`,
    );
    expect(script.output()).toMatch(/started in \d+\.\d s/);
    expect(script.output()).not.toMatch(/token=(?!\[redacted\])/);

    // A function killed outright is started again, and gets the pushes it
    // missed: the webhook above is archived once, whatever the timing.
    const archivePid = childRunning(script.pid, 'archive');
    process.kill(archivePid, 'SIGKILL');
    await waitFor(
      () => script.output().includes('archive exited unexpectedly (SIGKILL)'),
      { timeoutMs: 10_000, message: 'the restart notice' },
    );
    const log = join(env.DATA_DIR ?? '', 'webhook_log.json');
    const sasukes = async () =>
      (await readFile(log, 'utf8').catch(() => '')).split('Sasuke').length - 1;
    await waitFor(async () => (await sasukes()) > 0, {
      timeoutMs: 30_000,
      message: 'Sasuke in the archive after the restart',
    });
    expect(childRunning(script.pid, 'archive')).not.toBe(archivePid);
    expect(await sasukes()).toBe(1);

    script.child.kill('SIGTERM');
    const { code } = await script.exited;

    expect(code).toBe(0);
    await expectPortsFree(env);
  });

  it('stops everything when its terminal closes (SIGHUP)', async () => {
    const env = await localEnv();
    const script = runScript('start', [], env);
    await readyBanner(script);

    script.child.kill('SIGHUP');
    const { code } = await script.exited;

    expect(code).toBe(0);
    expect(script.output()).toContain('SIGHUP: stopping everything');
    expect(script.output()).toMatch(/relais {3}\| stopped\n$/);
    await expectPortsFree(env);
  });
});
