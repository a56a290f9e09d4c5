import { readdir, readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import {
  EmulatorNotInstalledError,
  freePort,
  isGroupAlive,
  PortInUseError,
  startEmulator,
} from '../../emulator/launcher.js';
import { createPubSub } from '../../functions/core/pubsub.js';
import { emulatorHost, waitFor } from '../harness/index.js';

/** Pids of the processes in group `pgid`, read from /proc (Linux). */
async function groupMembers(pgid: number): Promise<number[]> {
  const members: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    // Fields after the command name: state, ppid, pgrp, ...
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(fields[2]) === pgid) members.push(Number(entry));
  }
  return members;
}

describe('startEmulator', () => {
  it('fails at once with the install command when the launcher is missing', async () => {
    const started = Date.now();

    const starting = startEmulator({
      host: '127.0.0.1',
      port: await freePort(),
      projectId: 'relais-test',
      binary: '/nonexistent/bin/cloud-pubsub-emulator',
    });

    await expect(starting).rejects.toThrow(EmulatorNotInstalledError);
    await expect(starting).rejects.toThrow(
      'gcloud components install pubsub-emulator beta',
    );
    await expect(starting).rejects.toThrow('google-cloud-cli-pubsub-emulator');
    await expect(starting).rejects.toThrow('JDK 11+');
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('fails at once when gcloud is not on PATH', async () => {
    const starting = startEmulator({
      host: '127.0.0.1',
      port: await freePort(),
      projectId: 'relais-test',
      env: { PATH: '/nonexistent' },
    });

    await expect(starting).rejects.toThrow(/gcloud is not on PATH/);
  });

  it('fails at once when Java is missing', async () => {
    const starting = startEmulator({
      host: '127.0.0.1',
      port: await freePort(),
      projectId: 'relais-test',
      // Any executable will do as the launcher: Java is checked first.
      binary: process.execPath,
      env: { PATH: '/nonexistent' },
    });

    await expect(starting).rejects.toThrow(
      /java is not on PATH[\s\S]*JDK 11\+/,
    );
  });

  it('refuses a port that is already taken, naming it', async () => {
    const [host, port] = emulatorHost().split(':');

    const starting = startEmulator({
      host: host ?? '',
      port: Number(port),
      projectId: 'relais-test',
    });

    await expect(starting).rejects.toThrow(PortInUseError);
    await expect(starting).rejects.toThrow(`port ${port} on ${host}`);
  });

  it('refuses a host that is not an IPv4 address', async () => {
    const starting = startEmulator({
      host: 'localhost',
      port: await freePort(),
      projectId: 'relais-test',
    });

    await expect(starting).rejects.toThrow(/IPv4/);
  });

  it('answers Ok, then leaves no process of its group alive once stopped', async () => {
    const port = await freePort();
    const lines: string[] = [];
    const emulator = await startEmulator({
      host: '127.0.0.1',
      port,
      projectId: 'relais-test',
      log: (line) => lines.push(line),
    });
    try {
      const answer = await fetch(`http://127.0.0.1:${port}/`);
      expect(await answer.text()).toContain('Ok');
      expect(emulator.host).toBe(`127.0.0.1:${port}`);
      expect(emulator.via).toBe('launcher');
      expect(await groupMembers(emulator.pid)).toContain(emulator.pid);
      expect(lines.join('\n')).toContain(`listening on ${port}`);
    } finally {
      await emulator.stop();
    }

    expect(isGroupAlive(emulator.pid)).toBe(false);
    expect(await groupMembers(emulator.pid)).toEqual([]);
    await expect(fetch(`http://127.0.0.1:${port}/`)).rejects.toThrow();
    await emulator.stop();
  });

  it('hides push tokens in what it logs about failed pushes', async () => {
    const lines: string[] = [];
    const emulator = await startEmulator({
      host: '127.0.0.1',
      port: await freePort(),
      projectId: 'relais-test',
      log: (line) => lines.push(line),
    });
    const pubsub = createPubSub({
      projectId: 'relais-test',
      emulatorHost: emulator.host,
    });
    try {
      await pubsub.createTopic('tokens');
      await pubsub.createSubscription('tokens', 'tokens-push', {
        // Port 9 (discard) has no listener here: every push fails.
        pushEndpoint: 'http://127.0.0.1:9/push?token=not-for-the-log-1234',
      });
      await pubsub.topic('tokens').publishMessage({ data: Buffer.from('x') });

      await waitFor(() => lines.some((l) => l.includes('Failed to push')), {
        message: 'a failed push in the log',
      });
    } finally {
      await pubsub.close();
      await emulator.stop();
    }

    expect(lines.join('\n')).not.toContain('not-for-the-log-1234');
    expect(emulator.recentOutput().join('\n')).not.toContain(
      'not-for-the-log-1234',
    );
    expect(lines.join('\n')).toContain('/push?token=[redacted]');
  });

  it('stops the Java child of the gcloud wrapper too', async () => {
    const emulator = await startEmulator({
      host: '127.0.0.1',
      port: await freePort(),
      projectId: 'relais-test',
      via: 'gcloud',
    });
    let members: number[];
    try {
      members = await groupMembers(emulator.pid);
      expect(emulator.via).toBe('gcloud');
      expect(members.length).toBeGreaterThan(1);
    } finally {
      await emulator.stop();
    }

    expect(isGroupAlive(emulator.pid)).toBe(false);
    expect(await groupMembers(emulator.pid)).toEqual([]);
  });
});
