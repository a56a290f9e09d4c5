import { describe, expect, it } from 'vitest';
import { redactToken } from '../../emulator/redact.js';
import {
  pushEndpoint,
  RETRY_POLICY,
  TopologyError,
  topology,
} from '../../emulator/topology.js';

const token = 'abcdefghijklmnop0123';
const local = {
  archive: 'http://127.0.0.1:8081',
  notify: 'http://127.0.0.1:8082',
};

describe('topology', () => {
  it('describes the topic, its dead-letter topic and three subscriptions', () => {
    const t = topology({
      pushBase: local,
      pushToken: token,
      target: 'emulator',
    });

    expect(t.topics.map((x) => x.name)).toEqual([
      'personnages',
      'personnages-dead-letter',
    ]);
    expect(t.subscriptions).toEqual([
      {
        name: 'archive',
        topic: 'personnages',
        ackDeadlineSeconds: 30,
        pushEndpoint: `http://127.0.0.1:8081/push?token=${token}`,
        deadLetterPolicy: {
          deadLetterTopic: 'personnages-dead-letter',
          maxDeliveryAttempts: 100,
        },
      },
      {
        name: 'notify',
        topic: 'personnages',
        ackDeadlineSeconds: 30,
        pushEndpoint: `http://127.0.0.1:8082/push?token=${token}`,
        deadLetterPolicy: {
          deadLetterTopic: 'personnages-dead-letter',
          maxDeliveryAttempts: 100,
        },
      },
      {
        name: 'personnages-dead-letter-inspect',
        topic: 'personnages-dead-letter',
        ackDeadlineSeconds: 30,
      },
    ]);
  });

  it('allows 20 deliveries on Pub/Sub, whose retries back off', () => {
    const t = topology({
      pushBase: { archive: 'https://a.example', notify: 'https://n.example' },
      pushToken: token,
      target: 'pubsub',
    });
    expect(
      t.subscriptions.map((s) => s.deadLetterPolicy?.maxDeliveryAttempts),
    ).toEqual([20, 20, undefined]);
  });

  it('leaves the retry policy out on the emulator', () => {
    const t = topology({
      pushBase: local,
      pushToken: token,
      target: 'emulator',
    });

    for (const s of t.subscriptions)
      expect(s).not.toHaveProperty('retryPolicy');
  });

  it('sets a 10 to 600 s retry policy on push subscriptions for Pub/Sub', () => {
    const t = topology({
      pushBase: {
        archive: 'https://archive.example.com',
        notify: 'https://notify.example.com/base/',
      },
      pushToken: token,
      target: 'pubsub',
    });

    const [archive, notify, inspect] = t.subscriptions;
    expect(archive?.retryPolicy).toEqual({
      minimumBackoffSeconds: 10,
      maximumBackoffSeconds: 600,
    });
    expect(notify?.retryPolicy).toEqual(RETRY_POLICY);
    expect(notify?.pushEndpoint).toBe(
      `https://notify.example.com/base/push?token=${token}`,
    );
    expect(inspect?.retryPolicy).toBeUndefined();
  });

  it('derives every name from the topic and takes overrides', () => {
    const t = topology({
      topic: 't-1234-personnages',
      names: { archive: 't-1234-archive', notify: 't-1234-notify' },
      pushBase: local,
      pushToken: token,
      target: 'emulator',
      maxDeliveryAttempts: 5,
    });

    expect(t.subscriptions.map((s) => [s.name, s.topic])).toEqual([
      ['t-1234-archive', 't-1234-personnages'],
      ['t-1234-notify', 't-1234-personnages'],
      [
        't-1234-personnages-dead-letter-inspect',
        't-1234-personnages-dead-letter',
      ],
    ]);
    expect(t.subscriptions[0]?.deadLetterPolicy?.maxDeliveryAttempts).toBe(5);
  });

  it.each([
    ['a topic too short', { topic: 'ab' }, 'topic: "ab"'],
    ['a topic starting with a digit', { topic: '1abc' }, 'topic: "1abc"'],
    ['a topic starting with goog', { topic: 'google-x' }, 'goog'],
    ['a space in a name', { names: { archive: 'arch ive' } }, 'archive:'],
    ['a slash in a name', { names: { notify: 'a/b/c' } }, 'notify:'],
    ['a name longer than 255', { topic: `a${'b'.repeat(255)}` }, 'topic:'],
    [
      'two subscriptions with one id',
      { names: { notify: 'archive' } },
      'differ',
    ],
    ['too few delivery attempts', { maxDeliveryAttempts: 4 }, 'maxDelivery'],
    ['too many delivery attempts', { maxDeliveryAttempts: 101 }, 'maxDelivery'],
    ['a short push token', { pushToken: 'short' }, 'pushToken'],
    [
      'a push base with a query',
      { pushBase: { ...local, notify: 'http://h/?a=1' } },
      'pushBase.notify',
    ],
    [
      'a push base that is no URL',
      { pushBase: { ...local, archive: 'nope' } },
      'pushBase.archive',
    ],
  ])('rejects %s', (_, override, mentions) => {
    const build = () =>
      topology({
        pushBase: local,
        pushToken: token,
        target: 'emulator',
        ...override,
      });

    expect(build).toThrow(TopologyError);
    expect(build).toThrow(mentions);
  });

  it('rejects plain http push endpoints for Pub/Sub', () => {
    const build = () =>
      topology({ pushBase: local, pushToken: token, target: 'pubsub' });

    expect(build).toThrow(/pushBase\.archive: must use https:/);
  });

  it('never puts the push token in its error message', () => {
    const build = () =>
      topology({
        topic: 'x',
        pushBase: local,
        pushToken: token,
        target: 'emulator',
      });

    expect(build).toThrow(TopologyError);
    expect(build).not.toThrow(token);
  });
});

describe('pushEndpoint', () => {
  it.each([
    ['http://127.0.0.1:8081', 'http://127.0.0.1:8081/push?token=T'],
    ['http://127.0.0.1:8081/', 'http://127.0.0.1:8081/push?token=T'],
    ['https://h.example/fn/', 'https://h.example/fn/push?token=T'],
  ])('turns %s into %s', (base, expected) => {
    expect(pushEndpoint(base, 'T')).toBe(expected);
  });
});

describe('redactToken', () => {
  it.each([
    ['http://h/push?token=s3cret', 'http://h/push?token=[redacted]'],
    [
      'http://h/push?a=1&token=s3cret&b=2',
      'http://h/push?a=1&token=[redacted]&b=2',
    ],
    [
      'created -> http://h/push?token=s3cret (x)',
      'created -> http://h/push?token=[redacted] (x)',
    ],
    ['no token here', 'no token here'],
  ])('redacts %s', (text, expected) => {
    expect(redactToken(text)).toBe(expected);
  });
});
