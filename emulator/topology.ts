import { resourceName } from '../functions/core/config.js';

/** Where the topology is applied; it decides whether a retry policy is set. */
export type Target = 'emulator' | 'pubsub';

export interface TopicSpec {
  name: string;
}

/** Exponential backoff between redeliveries, in seconds (0 to 600). */
export interface RetryPolicySpec {
  minimumBackoffSeconds: number;
  maximumBackoffSeconds: number;
}

export interface DeadLetterPolicySpec {
  /** Topic id (not the full path); it must have a subscription. */
  deadLetterTopic: string;
  /** 5 to 100 delivery attempts before the message is moved aside. */
  maxDeliveryAttempts: number;
}

/**
 * One subscription as it should be. `pushEndpoint` absent means a pull
 * subscription. Ids, not full resource paths: `applyTopology` expands them
 * against the client's project.
 */
export interface SubscriptionSpec {
  name: string;
  topic: string;
  ackDeadlineSeconds: number;
  pushEndpoint?: string;
  deadLetterPolicy?: DeadLetterPolicySpec;
  retryPolicy?: RetryPolicySpec;
}

/** Everything relais needs in Pub/Sub, as plain data. */
export interface Topology {
  target: Target;
  topics: TopicSpec[];
  subscriptions: SubscriptionSpec[];
}

/** Ids that replace the default names, so tests can run side by side. */
export interface TopologyNames {
  deadLetterTopic?: string;
  deadLetterInspect?: string;
  archive?: string;
  notify?: string;
}

export interface TopologyOptions {
  /** The main topic (`config.topic`). */
  topic?: string;
  /** Base URLs of the functions; `/push?token=...` is appended. */
  pushBase: { archive: string; notify: string };
  /** The secret the push endpoints require (see push-token.ts). */
  pushToken: string;
  target: Target;
  names?: TopologyNames;
  /**
   * Deliveries before a message is dead-lettered. 20 by default: the
   * emulator retries about once a second, so a function restart of a few
   * seconds must not dead-letter what it missed.
   */
  maxDeliveryAttempts?: number;
}

export class TopologyError extends Error {
  override name = 'TopologyError';
}

/**
 * Push requests time out after the ack deadline; 30 s leaves a slow
 * archive write room without holding a message for long.
 * https://cloud.google.com/pubsub/docs/push#push_backoff
 */
export const ACK_DEADLINE_SECONDS = 30;

export const RETRY_POLICY: RetryPolicySpec = {
  minimumBackoffSeconds: 10,
  maximumBackoffSeconds: 600,
};

/**
 * The topology of relais: the topic, its dead-letter topic with a pull
 * subscription to read it (a dead-letter topic nobody subscribes to drops
 * what it receives), and the `archive` and `notify` push subscriptions.
 *
 * Pure: validates every name and URL and throws a `TopologyError` naming
 * each bad one; it never prints the push token.
 */
export function topology(options: TopologyOptions): Topology {
  const topic = options.topic ?? 'personnages';
  const names = {
    deadLetterTopic: `${topic}-dead-letter`,
    deadLetterInspect: `${topic}-dead-letter-inspect`,
    archive: 'archive',
    notify: 'notify',
    ...options.names,
  };
  const maxDeliveryAttempts = options.maxDeliveryAttempts ?? 20;
  const problems = [
    ...nameProblems({ topic, ...names }),
    ...baseProblems(options.pushBase, options.target),
  ];
  if (!/^[A-Za-z0-9_-]{16,128}$/.test(options.pushToken)) {
    problems.push('pushToken: must be 16 to 128 URL-safe characters');
  }
  if (
    !Number.isInteger(maxDeliveryAttempts) ||
    maxDeliveryAttempts < 5 ||
    maxDeliveryAttempts > 100
  ) {
    problems.push('maxDeliveryAttempts: must be an integer from 5 to 100');
  }
  if (problems.length > 0) {
    throw new TopologyError(`invalid topology:\n  ${problems.join('\n  ')}`);
  }

  const push = (name: string, base: string): SubscriptionSpec => ({
    name,
    topic,
    ackDeadlineSeconds: ACK_DEADLINE_SECONDS,
    pushEndpoint: pushEndpoint(base, options.pushToken),
    deadLetterPolicy: {
      deadLetterTopic: names.deadLetterTopic,
      maxDeliveryAttempts,
    },
    // The emulator (0.8.20) stops pushing a message for good after two or
    // three failures when a retry policy is set, even once the endpoint is
    // healthy again; without one it retries about every second. So the
    // backoff is for real Pub/Sub only (see PUBSUB-NOTES.md).
    ...(options.target === 'pubsub' ? { retryPolicy: RETRY_POLICY } : {}),
  });

  return {
    target: options.target,
    topics: [{ name: topic }, { name: names.deadLetterTopic }],
    subscriptions: [
      push(names.archive, options.pushBase.archive),
      push(names.notify, options.pushBase.notify),
      {
        name: names.deadLetterInspect,
        topic: names.deadLetterTopic,
        ackDeadlineSeconds: ACK_DEADLINE_SECONDS,
      },
    ],
  };
}

/** `<base>/push?token=<token>`, the base's own path kept. */
export function pushEndpoint(base: string, token: string): string {
  const url = new URL(base);
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/push`;
  url.search = new URLSearchParams({ token }).toString();
  return url.toString();
}

function nameProblems(names: Record<string, string>): string[] {
  const problems: string[] = [];
  for (const [key, value] of Object.entries(names)) {
    const parsed = resourceName.safeParse(value);
    if (!parsed.success) {
      const why = parsed.error.issues.map((i) => i.message).join(', ');
      problems.push(`${key}: "${value}" is ${why}`);
    }
  }
  const subscriptionIds = [
    names.deadLetterInspect,
    names.archive,
    names.notify,
  ];
  if (new Set(subscriptionIds).size !== subscriptionIds.length) {
    problems.push('names: subscription ids must differ from one another');
  }
  if (names.topic === names.deadLetterTopic) {
    problems.push('names: the dead-letter topic must differ from the topic');
  }
  return problems;
}

function baseProblems(
  bases: { archive: string; notify: string },
  target: Target,
): string[] {
  const problems: string[] = [];
  for (const [key, base] of Object.entries(bases)) {
    let url: URL;
    try {
      url = new URL(base);
    } catch {
      problems.push(`pushBase.${key}: not a URL`);
      continue;
    }
    if (url.search !== '' || url.hash !== '') {
      problems.push(`pushBase.${key}: must have no query or fragment`);
    }
    // Real Pub/Sub pushes to HTTPS endpoints only; the emulator takes both.
    const allowed = target === 'pubsub' ? ['https:'] : ['http:', 'https:'];
    if (!allowed.includes(url.protocol)) {
      problems.push(
        `pushBase.${key}: must use ${allowed.join(' or ')} for ${target}`,
      );
    }
  }
  return problems;
}
