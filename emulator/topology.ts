import { authProblems, baseProblems, nameProblems } from './topology-checks.js';

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
 * Pub/Sub signs an OIDC token for `serviceAccountEmail` with `audience` on
 * every push (real Pub/Sub only; the emulator sends none).
 * https://cloud.google.com/pubsub/docs/authenticate-push-subscriptions
 */
export interface OidcTokenSpec {
  serviceAccountEmail: string;
  audience: string;
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
  oidcToken?: OidcTokenSpec;
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
  /**
   * Base URLs of the functions; `/push?token=...` is appended, or `/push`
   * alone with `oidc`.
   */
  pushBase: { archive: string; notify: string };
  /** The secret the push endpoints require (see push-token.ts). */
  pushToken?: string;
  /**
   * OIDC push authentication instead of the token: the service account
   * Pub/Sub signs for, and each function's audience (its `PUSH_AUDIENCE`).
   */
  oidc?: {
    serviceAccountEmail: string;
    audiences: { archive: string; notify: string };
  };
  /** Defaults to `ACK_DEADLINE_SECONDS[target]`. */
  ackDeadlineSeconds?: number;
  target: Target;
  names?: TopologyNames;
  /** Deliveries before a message is dead-lettered; see the defaults. */
  maxDeliveryAttempts?: number;
}

/**
 * Deliveries before a message is dead-lettered, by target. Real Pub/Sub
 * backs off from 10 s to 600 s between attempts, so 20 attempts span about
 * two and a half hours. The emulator retries about once a second without a
 * backoff, so it gets the most Pub/Sub allows: 100 attempts, about 100 s,
 * which outlasts a function restart on a loaded laptop (16 s was seen) and
 * notify's 60 s cool-down of a failing subscriber.
 */
export const MAX_DELIVERY_ATTEMPTS: Record<Target, number> = {
  emulator: 100,
  pubsub: 20,
};

/**
 * The names a topology derives from its topic: the dead-letter topic, its
 * inspection subscription, and the two push subscriptions.
 */
export function topologyNames(topic: string): Required<TopologyNames> {
  return {
    deadLetterTopic: `${topic}-dead-letter`,
    deadLetterInspect: `${topic}-dead-letter-inspect`,
    archive: 'archive',
    notify: 'notify',
  };
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

/**
 * The ack deadline on real Pub/Sub, above the handlers' worst case there:
 * archive waits at most 5 s for Google's keys and 2 x 10 s for Firestore
 * (25 s); notify 5 s for the keys, then its callbacks in parallel, each
 * bounded by CALLBACK_TIMEOUT_MS (5 s by default), plus journal writes. A
 * deadline below that makes Pub/Sub push again while the first call runs.
 */
export const PUBSUB_ACK_DEADLINE_SECONDS = 60;

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
  const names = { ...topologyNames(topic), ...options.names };
  const maxDeliveryAttempts =
    options.maxDeliveryAttempts ?? MAX_DELIVERY_ATTEMPTS[options.target];
  const problems = [
    ...nameProblems({ topic, ...names }),
    ...baseProblems(options.pushBase, options.target),
  ];
  problems.push(...authProblems(options));
  const ackDeadlineSeconds =
    options.ackDeadlineSeconds ??
    (options.target === 'pubsub'
      ? PUBSUB_ACK_DEADLINE_SECONDS
      : ACK_DEADLINE_SECONDS);
  if (
    !Number.isInteger(ackDeadlineSeconds) ||
    ackDeadlineSeconds < 10 ||
    ackDeadlineSeconds > 600
  ) {
    problems.push('ackDeadlineSeconds: must be an integer from 10 to 600');
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

  const push = (name: string, fn: 'archive' | 'notify'): SubscriptionSpec => ({
    name,
    topic,
    ackDeadlineSeconds,
    ...(options.oidc
      ? {
          pushEndpoint: pushEndpoint(options.pushBase[fn]),
          oidcToken: {
            serviceAccountEmail: options.oidc.serviceAccountEmail,
            audience: options.oidc.audiences[fn],
          },
        }
      : {
          pushEndpoint: pushEndpoint(
            options.pushBase[fn],
            options.pushToken as string,
          ),
        }),
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
      push(names.archive, 'archive'),
      push(names.notify, 'notify'),
      {
        name: names.deadLetterInspect,
        topic: names.deadLetterTopic,
        ackDeadlineSeconds,
      },
    ],
  };
}

/**
 * `<base>/push?token=<token>`, the base's own path kept; `<base>/push`
 * without a token (OIDC).
 */
export function pushEndpoint(base: string, token?: string): string {
  const url = new URL(base);
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/push`;
  url.search =
    token === undefined ? '' : new URLSearchParams({ token }).toString();
  return url.toString();
}
