import { describe, expect, it } from 'vitest';
import { ApplyError, applyTopology } from '../../emulator/apply.js';
import { topology } from '../../emulator/topology.js';
import {
  createTestTopology,
  TEST_PUSH_TOKEN,
  testPubSub,
  uniqueNames,
} from '../harness/index.js';

const pushBase = {
  archive: 'http://127.0.0.1:9/archive',
  notify: 'http://127.0.0.1:9/notify',
};

describe('applyTopology on the emulator', () => {
  it('creates every topic and subscription of a fresh topology', async () => {
    const { actions, names } = await createTestTopology({ pushBase });

    expect(actions).toEqual([
      { kind: 'topic', name: names.topic, action: 'created' },
      { kind: 'topic', name: names.deadLetterTopic, action: 'created' },
      { kind: 'subscription', name: names.archive, action: 'created' },
      { kind: 'subscription', name: names.notify, action: 'created' },
      {
        kind: 'subscription',
        name: names.deadLetterInspect,
        action: 'created',
      },
    ]);
  });

  it('changes nothing when applied a second time', async () => {
    const { pubsub, topology: spec } = await createTestTopology({ pushBase });

    const again = await applyTopology(pubsub, spec);

    expect(again.map((a) => a.action)).toEqual(Array(5).fill('unchanged'));
  });

  it('stores the settings of the topology', async () => {
    const { pubsub, names } = await createTestTopology({
      pushBase,
      maxDeliveryAttempts: 7,
    });

    const [archive] = await pubsub.subscription(names.archive).getMetadata();
    const [inspect] = await pubsub
      .subscription(names.deadLetterInspect)
      .getMetadata();

    expect(archive.pushConfig?.pushEndpoint).toBe(
      `http://127.0.0.1:9/archive/push?token=${TEST_PUSH_TOKEN}`,
    );
    expect(archive.ackDeadlineSeconds).toBe(30);
    expect(archive.deadLetterPolicy).toEqual({
      deadLetterTopic: pubsub.topic(names.deadLetterTopic).name,
      maxDeliveryAttempts: 7,
    });
    expect(archive.retryPolicy).toBeNull();
    expect(inspect.pushConfig?.pushEndpoint).toBe('');
  });

  it('modifies the push config when only the endpoint changed', async () => {
    const { pubsub, names } = await createTestTopology({ pushBase });
    const moved = topology({
      topic: names.topic,
      names,
      pushBase: { ...pushBase, notify: 'http://127.0.0.1:10/notify' },
      pushToken: TEST_PUSH_TOKEN,
      target: 'emulator',
    });

    const actions = await applyTopology(pubsub, moved);

    expect(actions.find((a) => a.name === names.notify)).toEqual({
      kind: 'subscription',
      name: names.notify,
      action: 'updated-push-config',
      changed: ['pushEndpoint'],
    });
    expect(actions.filter((a) => a.action !== 'unchanged')).toHaveLength(1);
    const [notify] = await pubsub.subscription(names.notify).getMetadata();
    expect(notify.pushConfig?.pushEndpoint).toBe(
      `http://127.0.0.1:10/notify/push?token=${TEST_PUSH_TOKEN}`,
    );
  });

  it('recreates a subscription whose dead-letter policy changed', async () => {
    const { pubsub, names } = await createTestTopology({ pushBase });
    const stricter = topology({
      topic: names.topic,
      names,
      pushBase,
      pushToken: TEST_PUSH_TOKEN,
      target: 'emulator',
      maxDeliveryAttempts: 5,
    });

    const actions = await applyTopology(pubsub, stricter);

    expect(actions.filter((a) => a.action === 'recreated')).toEqual([
      {
        kind: 'subscription',
        name: names.archive,
        action: 'recreated',
        changed: ['deadLetterPolicy'],
      },
      {
        kind: 'subscription',
        name: names.notify,
        action: 'recreated',
        changed: ['deadLetterPolicy'],
      },
    ]);
    const [archive] = await pubsub.subscription(names.archive).getMetadata();
    expect(archive.deadLetterPolicy?.maxDeliveryAttempts).toBe(5);
  });

  it('recreates a subscription whose retry policy or ack deadline drifted', async () => {
    const {
      pubsub,
      names,
      topology: spec,
    } = await createTestTopology({
      pushBase,
    });
    await pubsub.subscription(names.archive).delete();
    await pubsub.createSubscription(names.topic, names.archive, {
      ackDeadlineSeconds: 12,
      pushEndpoint: spec.subscriptions[0]?.pushEndpoint,
      deadLetterPolicy: {
        deadLetterTopic: pubsub.topic(names.deadLetterTopic).name,
        maxDeliveryAttempts:
          spec.subscriptions[0]?.deadLetterPolicy?.maxDeliveryAttempts,
      },
      retryPolicy: {
        minimumBackoff: { seconds: 10 },
        maximumBackoff: { seconds: 600 },
      },
    });

    const actions = await applyTopology(pubsub, spec);

    expect(actions.find((a) => a.name === names.archive)).toMatchObject({
      action: 'recreated',
      changed: ['ackDeadlineSeconds', 'retryPolicy'],
    });
    const [archive] = await pubsub.subscription(names.archive).getMetadata();
    expect(archive.retryPolicy).toBeNull();
    expect(archive.ackDeadlineSeconds).toBe(30);
  });

  it('recreates a subscription whose topic was deleted', async () => {
    const {
      pubsub,
      names,
      topology: spec,
    } = await createTestTopology({
      pushBase,
    });
    await pubsub.topic(names.topic).delete();

    const actions = await applyTopology(pubsub, spec);

    expect(actions.map((a) => [a.name, a.action])).toEqual([
      [names.topic, 'created'],
      [names.deadLetterTopic, 'unchanged'],
      [names.archive, 'recreated'],
      [names.notify, 'recreated'],
      [names.deadLetterInspect, 'unchanged'],
    ]);
  });

  it('never writes the push token to its log', async () => {
    const lines: string[] = [];
    const names = uniqueNames();
    const secret = 'do-not-log-this-token-123';
    const { pubsub, topology: spec } = await createTestTopology({
      pushBase,
      names,
      pushToken: secret,
    });
    const moved = topology({
      topic: names.topic,
      names,
      pushBase: { ...pushBase, archive: 'http://127.0.0.1:11' },
      pushToken: secret,
      target: 'emulator',
    });

    await applyTopology(pubsub, moved, (line) => lines.push(line));
    await applyTopology(pubsub, spec, (line) => lines.push(line));

    expect(lines.join('\n')).not.toContain(secret);
    expect(lines).toContain(
      `subscription ${names.archive}: updated-push-config (pushEndpoint) -> ` +
        'http://127.0.0.1:11/push?token=[redacted]',
    );
  });

  it('fails with the resource and without the token when Pub/Sub refuses', async () => {
    const pubsub = testPubSub();
    const names = uniqueNames();
    const spec = topology({
      topic: names.topic,
      names,
      pushBase,
      pushToken: TEST_PUSH_TOKEN,
      target: 'emulator',
    });
    // The emulator refuses a subscription to a topic that does not exist.
    spec.topics = [];

    const applying = applyTopology(pubsub, spec);

    await expect(applying).rejects.toThrow(ApplyError);
    await expect(applying).rejects.toThrow(
      `create subscription ${names.archive}`,
    );
    await expect(applying).rejects.not.toThrow(TEST_PUSH_TOKEN);
  });
});
