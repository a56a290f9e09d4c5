import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it, vi } from 'vitest';
import { freePort } from '../../emulator/ports.js';
import {
  type FunctionProcessOptions,
  ServerProcess,
} from '../../scripts/lib/function-process.js';
import { REPO_ROOT } from '../../scripts/lib/local-run.js';
import { defer, spawnTracked, waitFor } from '../harness/index.js';

/**
 * Small servers run as `node -e <code>` (CommonJS), so the tests need no
 * script files: `nodeArgs: []` and the code as the command.
 */
const SERVES_OK = `
const http = require('node:http');
http.createServer((req, res) => res.end('ok'))
  .listen(Number(process.env.PORT), '127.0.0.1', () => console.log('listening'));
console.error('to stderr');`;
/** Accepts connections, never answers. */
const NEVER_ANSWERS = `
require('node:http').createServer(() => {})
  .listen(Number(process.env.PORT), '127.0.0.1');`;
const IGNORES_SIGTERM = `
process.on('SIGTERM', () => console.log('SIGTERM ignored'));
setInterval(() => {}, 1000);
console.log('ready');`;
/** Starts a grandchild in its group and prints its pid. */
const HAS_A_CHILD = `
const child = require('node:child_process').spawn('sleep', ['60'], { stdio: 'ignore' });
console.log('child ' + child.pid);
setInterval(() => {}, 1000);`;

interface Line {
  line: string;
  stream: 'stdout' | 'stderr';
}

/** A ServerProcess running `code`, stopped when the test ends. */
async function server(
  code: string,
  options: Partial<FunctionProcessOptions> = {},
): Promise<{ server: ServerProcess; lines: Line[] }> {
  const port = await freePort();
  const lines: Line[] = [];
  const server = new ServerProcess('probe', ['-e', code], {
    url: `http://127.0.0.1:${port}`,
    env: { PORT: String(port) },
    nodeArgs: [],
    onLine: (line, stream) => lines.push({ line, stream }),
    ...options,
  });
  defer(() => server.stop('SIGKILL'));
  return { server, lines };
}

/** True while `pid` is a process that has not ended (zombies have). */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

describe('ServerProcess', () => {
  it('starts on /healthz, passes lines with their stream, reports the exit', async () => {
    const { server: probe, lines } = await server(SERVES_OK);

    await probe.start();
    const pid = probe.pid;

    expect(pid).toBeTypeOf('number');
    await waitFor(() => lines.length >= 2, { message: 'both lines' });
    expect(lines).toEqual(
      expect.arrayContaining([
        { line: 'listening', stream: 'stdout' },
        { line: 'to stderr', stream: 'stderr' },
      ]),
    );
    await probe.stop();
    expect(await probe.exited).toEqual({ code: null, signal: 'SIGTERM' });
    expect(probe.pid).toBeUndefined();
  });

  it('reports a crash, and launch() runs it again under a new pid', async () => {
    const { server: probe } = await server(SERVES_OK);
    await probe.start();
    const first = probe.pid ?? -1;

    process.kill(first, 'SIGKILL');

    expect(await probe.exited).toEqual({ code: null, signal: 'SIGKILL' });
    expect(probe.pid).toBeUndefined();
    probe.launch();
    expect(probe.pid).toBeTypeOf('number');
    expect(probe.pid).not.toBe(first);
    expect(() => probe.launch()).toThrow('probe is already running');
    await waitFor(() => fetch(`${probe.url}/healthz`).then((r) => r.ok), {
      message: 'the relaunched server answering',
    });
  });

  it('start() stops waiting when its signal aborts; stop() ends the server', async () => {
    const { server: probe } = await server(NEVER_ANSWERS);
    const controller = new AbortController();

    const starting = probe.start({ signal: controller.signal });
    await waitFor(() => probe.pid, { message: 'the spawn' });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const abortedAt = Date.now();
    controller.abort();

    await expect(starting).rejects.toMatchObject({ name: 'AbortError' });
    // A /healthz request that hangs is cut short too (it allows 1 s).
    expect(Date.now() - abortedAt).toBeLessThan(500);
    expect(probe.pid).toBeTypeOf('number');
    await probe.stop();
    expect(await probe.exited).toMatchObject({ signal: 'SIGTERM' });
  });

  it('start() refuses an aborted signal without spawning', async () => {
    const { server: probe } = await server(SERVES_OK);

    await expect(
      probe.start({ signal: AbortSignal.abort() }),
    ).rejects.toMatchObject({ name: 'AbortError' });
    expect(probe.pid).toBeUndefined();
  });

  it('start() says why a server exits before answering', async () => {
    const { server: probe } = await server(
      'console.error("DATA_DIR is not writable"); process.exit(3)',
    );

    await expect(probe.start()).rejects.toThrow(
      new RegExp(
        String.raw`^probe exited \(3\) before answering ` +
          String.raw`http://127\.0\.0\.1:\d+/healthz\n {2}` +
          'DATA_DIR is not writable$',
      ),
    );
    expect(await probe.exited).toEqual({ code: 3, signal: null });
  });

  it('start() kills a server that does not answer in time', async () => {
    const { server: probe } = await server(NEVER_ANSWERS, {
      startTimeoutMs: 500,
    });

    await expect(probe.start()).rejects.toThrow(
      /^probe did not answer http:\/\/127\.0\.0\.1:\d+\/healthz within 500 ms$/,
    );
    expect(await probe.exited).toEqual({ code: null, signal: 'SIGKILL' });
  });

  it('stop() kills a server ignoring SIGTERM after the grace, telling onStopTimeout', async () => {
    const onStopTimeout = vi.fn();
    const { server: probe, lines } = await server(IGNORES_SIGTERM, {
      stopGraceMs: 300,
      onStopTimeout,
    });
    probe.launch();
    await waitFor(() => lines.some((l) => l.line === 'ready'), {
      message: 'the SIGTERM handler',
    });

    await probe.stop();

    expect(onStopTimeout).toHaveBeenCalledTimes(1);
    expect(lines.map((l) => l.line)).toContain('SIGTERM ignored');
    expect(await probe.exited).toEqual({ code: null, signal: 'SIGKILL' });
  });

  it('stop() signals the whole process group', async () => {
    const { server: probe, lines } = await server(HAS_A_CHILD);
    probe.launch();
    const line = await waitFor(() =>
      lines.find((l) => l.line.startsWith('child ')),
    );
    const grandchild = Number(line.line.split(' ')[1]);
    expect(running(grandchild)).toBe(true);

    await probe.stop();

    await waitFor(() => !running(grandchild), {
      message: `grandchild ${grandchild} gone`,
    });
  });

  it('kills the groups of its servers when this process exits without stopping them', async () => {
    const module = pathToFileURL(
      join(REPO_ROOT, 'scripts/lib/function-process.ts'),
    ).href;
    const parent = spawnTracked(process.execPath, [
      '--import',
      'tsx',
      '--input-type=module',
      '-e',
      `import { ServerProcess } from '${module}';
      const p = new ServerProcess('orphan', ['-e', 'setInterval(() => {}, 1000)'],
        { url: 'http://127.0.0.1:9', env: {}, nodeArgs: [] });
      p.launch();
      console.log('pid ' + p.pid);
      setTimeout(() => { throw new Error('uncaught'); }, 200);`,
    ]);
    const line = await waitFor(() => /pid (\d+)/.exec(parent.output()), {
      message: 'the server pid',
    });
    const pid = Number(line[1]);
    defer(() => {
      if (running(pid)) process.kill(-pid, 'SIGKILL');
    });

    expect((await parent.exited).code).toBe(1);
    await waitFor(() => !running(pid), { message: `server ${pid} gone` });
  });
});
