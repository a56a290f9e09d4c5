import type {
  CreateSubscriptionOptions,
  GetSubscriptionMetadataResponse,
  PubSub,
} from '@google-cloud/pubsub';
import { redactToken } from './redact.js';
import type { SubscriptionSpec, Topology } from './topology.js';

/** What `applyTopology` did to one resource. */
export type Action =
  | 'created'
  | 'updated-push-config'
  | 'updated'
  | 'recreated'
  | 'unchanged';

export interface AppliedAction {
  kind: 'topic' | 'subscription';
  name: string;
  action: Action;
  /** The settings that differed, for the updates and `recreated`. */
  changed?: string[];
}

export interface ApplyOptions {
  /** Upper bound on each Pub/Sub call (default 15 s): a wrong port hangs. */
  timeoutMs?: number;
}

/** A Pub/Sub call failed; the message names the resource, never the token. */
export class ApplyError extends Error {
  override name = 'ApplyError';
  constructor(
    message: string,
    /** The gRPC status code, when Pub/Sub gave one. */
    readonly code: number | undefined,
  ) {
    super(message);
  }
}

const ALREADY_EXISTS = 6;
const NOT_FOUND = 5;

/**
 * Makes Pub/Sub match `topology`, as often as needed: topics are created
 * (one that exists is fine); each subscription is created when absent and
 * left alone when it matches. When it differs:
 *
 * - target `pubsub`: updated in place (UpdateSubscription with a field
 *   mask), keeping its backlog; deleted and created again only when its
 *   topic differs, which no update can change.
 * - target `emulator`: the push config is modified when only the endpoint
 *   differs, otherwise it is deleted and created again (a lost backlog is
 *   harmless there, and it is what the emulator tests rely on).
 *
 * Nothing outside the topology is touched or deleted.
 *
 * Log lines and errors show push endpoints with the token redacted.
 * https://cloud.google.com/pubsub/docs/reference/rpc/google.pubsub.v1
 */
export async function applyTopology(
  pubsub: PubSub,
  topology: Topology,
  log: (line: string) => void = () => undefined,
  options: ApplyOptions = {},
): Promise<AppliedAction[]> {
  const call = bounded(options.timeoutMs ?? 15_000);
  const actions: AppliedAction[] = [];
  const report = (entry: AppliedAction, detail = '') => {
    actions.push(entry);
    const changed = entry.changed ? ` (${entry.changed.join(', ')})` : '';
    log(
      redactToken(
        `${entry.kind} ${entry.name}: ${entry.action}${changed}${detail}`,
      ),
    );
  };

  for (const { name } of topology.topics) {
    try {
      await call(`create topic ${name}`, pubsub.createTopic(name));
      report({ kind: 'topic', name, action: 'created' });
    } catch (err) {
      if (grpcCode(err) !== ALREADY_EXISTS) throw err;
      report({ kind: 'topic', name, action: 'unchanged' });
    }
  }

  for (const spec of topology.subscriptions) {
    const subscription = pubsub.subscription(spec.name);
    const endpoint = spec.pushEndpoint ? ` -> ${spec.pushEndpoint}` : '';
    const current = await call(
      `read subscription ${spec.name}`,
      subscription.getMetadata().then(([metadata]) => metadata),
    ).catch((err: unknown) => {
      if (grpcCode(err) === NOT_FOUND) return undefined;
      throw err;
    });
    const create = () =>
      call(
        `create subscription ${spec.name}`,
        pubsub.createSubscription(
          spec.topic,
          spec.name,
          createOptions(pubsub, spec),
        ),
      );

    if (current === undefined) {
      await create();
      report(
        { kind: 'subscription', name: spec.name, action: 'created' },
        endpoint,
      );
      continue;
    }
    const changed = differences(pubsub, spec, current);
    if (changed.length === 0) {
      report({ kind: 'subscription', name: spec.name, action: 'unchanged' });
    } else if (topology.target === 'pubsub' && !changed.includes('topic')) {
      await call(
        `update subscription ${spec.name}`,
        subscription.setMetadata(updateFields(pubsub, spec)),
      );
      report(
        { kind: 'subscription', name: spec.name, action: 'updated', changed },
        endpoint,
      );
    } else if (changed.length === 1 && changed[0] === 'pushEndpoint') {
      await call(
        `modify the push config of ${spec.name}`,
        subscription.modifyPushConfig({
          pushEndpoint: spec.pushEndpoint ?? '',
        }),
      );
      report(
        {
          kind: 'subscription',
          name: spec.name,
          action: 'updated-push-config',
          changed,
        },
        endpoint,
      );
    } else {
      // UpdateSubscription is not relied on: the notes on the emulator say
      // it refuses policy updates, and a topic cannot be changed anywhere.
      await call(`delete subscription ${spec.name}`, subscription.delete());
      await create();
      report(
        { kind: 'subscription', name: spec.name, action: 'recreated', changed },
        endpoint,
      );
    }
  }
  return actions;
}

type SubscriptionResource = GetSubscriptionMetadataResponse[0];
type Duration = NonNullable<
  NonNullable<SubscriptionResource['retryPolicy']>['minimumBackoff']
>;

function createOptions(
  pubsub: PubSub,
  spec: SubscriptionSpec,
): CreateSubscriptionOptions {
  return {
    ackDeadlineSeconds: spec.ackDeadlineSeconds,
    ...(spec.pushEndpoint ? { pushEndpoint: spec.pushEndpoint } : {}),
    ...(spec.oidcToken ? { oidcToken: { ...spec.oidcToken } } : {}),
    ...(spec.deadLetterPolicy
      ? {
          deadLetterPolicy: {
            deadLetterTopic: pubsub.topic(spec.deadLetterPolicy.deadLetterTopic)
              .name,
            maxDeliveryAttempts: spec.deadLetterPolicy.maxDeliveryAttempts,
          },
        }
      : {}),
    ...(spec.retryPolicy
      ? {
          retryPolicy: {
            minimumBackoff: { seconds: spec.retryPolicy.minimumBackoffSeconds },
            maximumBackoff: { seconds: spec.retryPolicy.maximumBackoffSeconds },
          },
        }
      : {}),
  };
}

/**
 * Every setting the topology manages, for an update in place: an absent
 * policy is sent as null, so the field mask clears it.
 * https://cloud.google.com/pubsub/docs/reference/rest/v1/projects.subscriptions/patch
 */
function updateFields(pubsub: PubSub, spec: SubscriptionSpec) {
  const options = createOptions(pubsub, spec);
  return {
    ackDeadlineSeconds: spec.ackDeadlineSeconds,
    pushConfig: {
      pushEndpoint: spec.pushEndpoint ?? '',
      ...(spec.oidcToken ? { oidcToken: { ...spec.oidcToken } } : {}),
    },
    deadLetterPolicy: options.deadLetterPolicy ?? null,
    retryPolicy: options.retryPolicy ?? null,
  };
}

/** The settings of `current` that differ from `spec`, by name. */
function differences(
  pubsub: PubSub,
  spec: SubscriptionSpec,
  current: SubscriptionResource,
): string[] {
  const changed: string[] = [];
  // A deleted topic reads back as `_deleted-topic_`: it differs too.
  if (current.topic !== pubsub.topic(spec.topic).name) changed.push('topic');
  if ((current.pushConfig?.pushEndpoint ?? '') !== (spec.pushEndpoint ?? '')) {
    changed.push('pushEndpoint');
  }
  const oidc = current.pushConfig?.oidcToken;
  const haveOidc = oidc?.serviceAccountEmail
    ? `${oidc.serviceAccountEmail} ${oidc.audience ?? ''}`
    : '';
  const wantOidc = spec.oidcToken
    ? `${spec.oidcToken.serviceAccountEmail} ${spec.oidcToken.audience}`
    : '';
  if (haveOidc !== wantOidc) changed.push('oidcToken');
  if ((current.ackDeadlineSeconds ?? 10) !== spec.ackDeadlineSeconds) {
    changed.push('ackDeadlineSeconds');
  }
  const wantDeadLetter = spec.deadLetterPolicy
    ? `${pubsub.topic(spec.deadLetterPolicy.deadLetterTopic).name} ` +
      `${spec.deadLetterPolicy.maxDeliveryAttempts}`
    : '';
  const haveDeadLetter = current.deadLetterPolicy?.deadLetterTopic
    ? `${current.deadLetterPolicy.deadLetterTopic} ` +
      // 0 (unset) means the service default of 5 attempts.
      `${current.deadLetterPolicy.maxDeliveryAttempts || 5}`
    : '';
  if (wantDeadLetter !== haveDeadLetter) changed.push('deadLetterPolicy');
  const wantRetry = spec.retryPolicy
    ? `${spec.retryPolicy.minimumBackoffSeconds} ` +
      `${spec.retryPolicy.maximumBackoffSeconds}`
    : '';
  const haveRetry = current.retryPolicy
    ? `${seconds(current.retryPolicy.minimumBackoff)} ` +
      `${seconds(current.retryPolicy.maximumBackoff)}`
    : '';
  if (wantRetry !== haveRetry) changed.push('retryPolicy');
  return changed;
}

/** A protobuf Duration as seconds; int64 fields arrive as strings. */
function seconds(duration: Duration | null | undefined): number {
  if (!duration) return 0;
  return Number(duration.seconds ?? 0) + (duration.nanos ?? 0) / 1e9;
}

function grpcCode(err: unknown): number | undefined {
  if (err instanceof ApplyError) return err.code;
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
}

/**
 * Wraps each call: a timeout, and an `ApplyError` whose message says what
 * was being done. The original error is not kept as `cause`: its details
 * may echo a push endpoint, token included.
 */
function bounded(timeoutMs: number) {
  return async <T>(what: string, promise: Promise<T>): Promise<T> => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new ApplyError(
              `${what}: no answer from Pub/Sub within ${timeoutMs} ms`,
              undefined,
            ),
          ),
        timeoutMs,
      );
    });
    try {
      return await Promise.race([promise, timeout]);
    } catch (err) {
      if (err instanceof ApplyError) throw err;
      const message = err instanceof Error ? err.message : String(err);
      throw new ApplyError(`${what}: ${redactToken(message)}`, grpcCode(err));
    } finally {
      clearTimeout(timer);
    }
  };
}
