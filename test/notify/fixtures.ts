import { randomUUID } from 'node:crypto';
import type { LookupAddress } from 'node:dns';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../../functions/core/log.js';
import {
  type PersonnageEvent,
  toEvent,
} from '../../functions/core/personnage.js';
import type { FunctionRuntime } from '../../functions/core/runtime.js';
import { openNotify } from '../../functions/notify/index.js';
import type {
  HealthPolicy,
  SubscriberView,
} from '../../functions/notify/subscribers.js';
import { defer } from '../harness/index.js';

export const PUSH_TOKEN = 'notify-test-token-0123456789';

/** A fresh DATA_DIR, removed when the test finishes. */
export async function tempDataDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'relais-notify-'));
  defer(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

export interface TestNotifyOptions {
  dataDir: string;
  production?: boolean;
  now?: () => Date;
  resolve?: (host: string) => Promise<LookupAddress[]>;
  health?: HealthPolicy;
  callbackTimeoutMs?: number;
  apiKey?: string;
}

/** Notify on `dataDir`, closed when the test finishes. */
export async function openTestNotify(
  options: TestNotifyOptions,
): Promise<FunctionRuntime> {
  const runtime = await openNotify({
    config: {
      dataDir: options.dataDir,
      production: options.production ?? false,
      callbackTimeoutMs: options.callbackTimeoutMs ?? 2_000,
      notifyApiKey: options.apiKey,
    },
    pushToken: PUSH_TOKEN,
    log: silentLogger,
    now: options.now,
    resolve: options.resolve,
    health: options.health,
  });
  defer(() => runtime.close());
  return runtime;
}

export function personnage(nom: string, score: number): PersonnageEvent {
  return toEvent({ nom, score }, randomUUID(), new Date());
}

/** The push envelope Pub/Sub would send for `event`. */
export function envelope(
  event: PersonnageEvent,
  messageId: string = randomUUID(),
) {
  return {
    message: {
      data: Buffer.from(JSON.stringify(event)).toString('base64'),
      attributes: { eventType: event.type, eventId: event.id },
      messageId,
      publishTime: new Date().toISOString(),
    },
    subscription: 'projects/relais-test/subscriptions/notify',
  };
}

/** POSTs a push of `event` to the app, with the push token. */
export function push(
  runtime: FunctionRuntime,
  event: PersonnageEvent,
  messageId?: string,
): Promise<Response> {
  return Promise.resolve(
    runtime.app.request(`/push?token=${PUSH_TOKEN}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(envelope(event, messageId)),
    }),
  );
}

/** Sends JSON to a notify route. */
export function send(
  runtime: FunctionRuntime,
  method: string,
  path: string,
  body?: unknown,
): Promise<Response> {
  return Promise.resolve(
    runtime.app.request(path, {
      method,
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    }),
  );
}

export interface Registered {
  id: string;
  secret: string;
}

/** Registers a subscriber and returns its id and secret. */
export async function subscribe(
  runtime: FunctionRuntime,
  url: string,
  niveaux?: string[],
): Promise<Registered> {
  const res = await send(runtime, 'POST', '/subscribe', { url, niveaux });
  if (res.status !== 201) {
    throw new Error(`subscribe answered ${res.status}: ${await res.text()}`);
  }
  return (await res.json()) as Registered;
}

/** `GET /subscribe`, typed. */
export async function listing(
  runtime: FunctionRuntime,
): Promise<{ enabled: boolean; subscribers: SubscriberView[] }> {
  return (await send(runtime, 'GET', '/subscribe')).json() as Promise<{
    enabled: boolean;
    subscribers: SubscriberView[];
  }>;
}

/** `GET /subscribe/:id`, typed. */
export async function view(
  runtime: FunctionRuntime,
  id: string,
): Promise<SubscriberView> {
  const res = await send(runtime, 'GET', `/subscribe/${id}`);
  return (await res.json()) as SubscriberView;
}

/** The lines of `notifications.txt`. */
export async function notificationLines(dataDir: string): Promise<string[]> {
  const text = await readFile(join(dataDir, 'notifications.txt'), 'utf8');
  return text.split('\n').filter((line) => line !== '');
}
