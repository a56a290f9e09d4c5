import { randomBytes } from 'node:crypto';
import type { Message, PubSub } from '@google-cloud/pubsub';
import { inject } from 'vitest';
import { type AppliedAction, applyTopology } from '../../emulator/apply.js';
import {
  type Topology,
  type TopologyNames,
  topology,
} from '../../emulator/topology.js';
import { createPubSub } from '../../functions/core/pubsub.js';
import { defer } from './cleanup.js';

/** A push token for tests: valid, and obviously not a real secret. */
export const TEST_PUSH_TOKEN = 'test-push-token-not-secret';

/** `host:port` of the run's emulator (started by global-setup.ts). */
export function emulatorHost(): string {
  return inject('emulatorHost');
}

/** The variables a function or script needs to find the test emulator. */
export function emulatorEnv(): {
  PUBSUB_EMULATOR_HOST: string;
  PUBSUB_PROJECT_ID: string;
} {
  return {
    PUBSUB_EMULATOR_HOST: inject('emulatorHost'),
    PUBSUB_PROJECT_ID: inject('emulatorProjectId'),
  };
}

/**
 * A client of the test emulator, built like the functions build theirs.
 * Closed when the test (or file) finishes.
 */
export function testPubSub(): PubSub {
  const pubsub = createPubSub(emulatorConfig());
  defer(() => pubsub.close());
  return pubsub;
}

function emulatorConfig() {
  return {
    projectId: inject('emulatorProjectId'),
    emulatorHost: inject('emulatorHost'),
  };
}

/** Resource ids no other test uses: `<prefix>-<random>-personnages`... */
export interface UniqueNames extends Required<TopologyNames> {
  topic: string;
}

export function uniqueNames(prefix = 't'): UniqueNames {
  const base = `${prefix}-${randomBytes(4).toString('hex')}`;
  const topic = `${base}-personnages`;
  return {
    topic,
    deadLetterTopic: `${topic}-dead-letter`,
    deadLetterInspect: `${topic}-dead-letter-inspect`,
    archive: `${base}-archive`,
    notify: `${base}-notify`,
  };
}

export interface TestTopologyOptions {
  /** Base URLs the push subscriptions point at (see startFunctionServer). */
  pushBase: { archive: string; notify: string };
  pushToken?: string;
  /** Fresh unique names when absent. */
  names?: UniqueNames;
  /** 5 makes a dead-letter test take about 5 s on the emulator. */
  maxDeliveryAttempts?: number;
  /** A client to use; else a new one, closed after the cleanup. */
  pubsub?: PubSub;
}

export interface TestTopology {
  names: UniqueNames;
  topology: Topology;
  actions: AppliedAction[];
  pubsub: PubSub;
  pushToken: string;
  /** Deletes the subscriptions, then the topics. Idempotent. */
  cleanup(): Promise<void>;
}

/**
 * Applies relais's emulator topology under unique names and deletes it
 * when the test (or file) finishes, or earlier with `cleanup()`.
 */
export async function createTestTopology(
  options: TestTopologyOptions,
): Promise<TestTopology> {
  const names = options.names ?? uniqueNames();
  const pushToken = options.pushToken ?? TEST_PUSH_TOKEN;
  const ownClient = options.pubsub === undefined;
  const pubsub = options.pubsub ?? createPubSub(emulatorConfig());
  const spec = topology({
    topic: names.topic,
    names,
    pushBase: options.pushBase,
    pushToken,
    target: 'emulator',
    maxDeliveryAttempts: options.maxDeliveryAttempts,
  });
  let cleaning: Promise<void> | undefined;
  const cleanup = () => {
    cleaning ??= deleteTopology(pubsub, spec).finally(async () => {
      if (ownClient) await pubsub.close();
    });
    return cleaning;
  };
  defer(cleanup);
  const actions = await applyTopology(pubsub, spec);
  return { names, topology: spec, actions, pubsub, pushToken, cleanup };
}

/** Deletes what `topology` describes; what is already gone is fine. */
export async function deleteTopology(
  pubsub: PubSub,
  spec: Topology,
): Promise<void> {
  const ignoreNotFound = (err: unknown) => {
    if ((err as { code?: unknown }).code !== 5) throw err;
  };
  await Promise.all(
    spec.subscriptions.map((s) =>
      pubsub.subscription(s.name).delete().catch(ignoreNotFound),
    ),
  );
  await Promise.all(
    spec.topics.map((t) => pubsub.topic(t.name).delete().catch(ignoreNotFound)),
  );
}

export interface MessageCollector {
  /** Every message received so far, in arrival order (all acked). */
  messages: Message[];
  /** Stops pulling. Idempotent. */
  close(): Promise<void>;
}

/**
 * Pulls from a (pull) subscription in the background and acks everything,
 * for tests that check what reached a topic: the dead-letter topic, or one
 * they subscribe to themselves. Closed when the test (or file) finishes.
 */
export function collectMessages(
  pubsub: PubSub,
  subscriptionName: string,
): MessageCollector {
  const subscription = pubsub.subscription(subscriptionName);
  const messages: Message[] = [];
  const errors: Error[] = [];
  subscription.on('message', (message: Message) => {
    messages.push(message);
    message.ack();
  });
  subscription.on('error', (err: Error) => errors.push(err));
  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= subscription.close();
    return closing;
  };
  defer(close);
  return { messages, close };
}
