import { describe, expect, it } from 'vitest';
import { isGroupAlive } from '../../emulator/launcher.js';
import {
  createTestTopology,
  spawnTracked,
  testPubSub,
  uniqueNames,
  waitFor,
} from '../harness/index.js';

describe('the test harness', () => {
  it('gives each caller names of its own that Pub/Sub accepts', () => {
    const a = uniqueNames();
    const b = uniqueNames('archive');

    expect(a.topic).toMatch(/^t-[0-9a-f]{8}-personnages$/);
    expect(b.archive).toMatch(/^archive-[0-9a-f]{8}-archive$/);
    expect(new Set([...Object.values(a), ...Object.values(b)]).size).toBe(10);
  });

  it('deletes the topology it created on cleanup', async () => {
    const pubsub = testPubSub();
    const test = await createTestTopology({
      pushBase: { archive: 'http://127.0.0.1:9', notify: 'http://127.0.0.1:9' },
      pubsub,
    });

    await test.cleanup();

    const [topic] = await pubsub.topic(test.names.topic).exists();
    const [archive] = await pubsub.subscription(test.names.archive).exists();
    const [inspect] = await pubsub
      .subscription(test.names.deadLetterInspect)
      .exists();
    expect([topic, archive, inspect]).toEqual([false, false, false]);
  });

  it('names what it waited for when waitFor times out', async () => {
    const waiting = waitFor(() => false, {
      timeoutMs: 100,
      message: 'the impossible',
    });

    await expect(waiting).rejects.toThrow(
      'timed out after 100 ms waiting for the impossible',
    );
  });

  it('returns the first truthy value from waitFor', async () => {
    let calls = 0;

    const value = await waitFor(() => (++calls >= 3 ? { calls } : undefined));

    expect(value).toEqual({ calls: 3 });
  });

  it('stops a tracked process group by its id', async () => {
    const tracked = spawnTracked('sh', ['-c', 'sleep 30 & sleep 30'], {
      group: true,
    });
    await waitFor(() => isGroupAlive(tracked.pid));

    await tracked.stop(1_000);

    await waitFor(() => !isGroupAlive(tracked.pid), {
      message: 'the group to be gone',
    });
  });
});
