import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Config } from '../core/config.js';
import { acquireLock } from '../core/lock.js';
import { createLogger, type Logger } from '../core/log.js';
import { type PushAuth, resolvePushAuth } from '../core/push-auth.js';
import type { FunctionRuntime } from '../core/runtime.js';
import { createNotifyApp } from './app.js';
import { deliver } from './deliver.js';
import { Fanout } from './fanout.js';
import { DeliveryJournal } from './journal.js';
import { LocalChannels } from './local-channels.js';
import { addressPolicy, type Resolve, systemResolve } from './safe-url.js';
import {
  DEFAULT_HEALTH,
  type HealthPolicy,
  SubscriberStore,
} from './subscribers.js';

export interface NotifyOptions {
  config: Pick<Config, 'dataDir' | 'production' | 'callbackTimeoutMs'> &
    Partial<Pick<Config, 'notifyApiKey'>>;
  /** How pushes are authenticated; see `resolvePushAuth`. */
  pushAuth?: PushAuth;
  /** Shorthand for `pushAuth: { mode: 'token', token: pushToken }`. */
  pushToken?: string;
  log: Logger;
  /** Project of the `logging.googleapis.com/trace` field. */
  projectId?: string;
  now?: () => Date;
  resolve?: Resolve;
  health?: HealthPolicy;
}

/**
 * Opens notify's state under `DATA_DIR` (`subscribers.json`,
 * `notifications.txt`, `deliveries.jsonl`), reading the journals back so a
 * restart neither forgets a subscriber nor notifies a channel twice, and
 * wires the app. Tests pass their own clock and resolver.
 */
export async function openNotify(
  options: NotifyOptions,
): Promise<FunctionRuntime> {
  const { config, log } = options;
  const now = options.now ?? (() => new Date());
  const resolve = options.resolve ?? systemResolve;
  const policy = addressPolicy(config.production);
  await mkdir(config.dataDir, { recursive: true });
  const dir = (name: string) => join(config.dataDir, name);

  // One notify per DATA_DIR: a second one would notify every event again.
  const release = await acquireLock(dir('notify.lock'));
  let store: SubscriberStore;
  let local: LocalChannels;
  let journal: DeliveryJournal;
  try {
    store = await SubscriberStore.open(
      dir('subscribers.json'),
      options.health ?? DEFAULT_HEALTH,
    );
    local = await LocalChannels.open(dir('notifications.txt'), log);
    journal = await DeliveryJournal.open(dir('deliveries.jsonl'));
  } catch (err) {
    await release();
    throw err;
  }
  const fanout = new Fanout({
    local,
    store,
    journal,
    log,
    now,
    deliver: (callback) =>
      deliver(callback, {
        timeoutMs: config.callbackTimeoutMs,
        policy,
        resolve,
        now,
      }),
  });
  const app = createNotifyApp({
    store,
    fanout,
    local,
    log,
    now,
    policy,
    resolve,
    apiKey: config.notifyApiKey,
    pushAuth: options.pushAuth,
    pushToken: options.pushToken,
    projectId: options.projectId,
  });
  let closing: Promise<unknown> | undefined;
  return {
    app,
    async close() {
      closing ??= Promise.all([local.close(), journal.close()]).finally(
        release,
      );
      await closing;
    },
  };
}

/** Wires notify from configuration: the composition root. */
export async function buildNotify(config: Config): Promise<FunctionRuntime> {
  const log = createLogger({
    service: 'notify',
    level: config.logLevel,
  });
  if (config.production) {
    // Shortcomings of this version, said where an operator will see them.
    if (!config.notifyApiKey) {
      log.warn('NOTIFY_API_KEY is unset: /subscribe is open to anyone');
    }
    log.warn(
      'DATA_DIR must be a persistent volume and notify must run as a ' +
        'single instance: subscribers and journals live on disk',
    );
  }
  const pushAuth = await resolvePushAuth(config);
  return openNotify({ config, pushAuth, log, projectId: config.projectId });
}
