import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { replaceFileAtomically } from '../core/durable-file.js';
import { NIVEAUX, type Niveau } from '../core/personnage.js';

/** The health thresholds of HTTP subscribers. */
export interface HealthPolicy {
  /** Consecutive failures after which a subscriber is cooled down. */
  failureThreshold: number;
  /** How long a failing subscriber is skipped, in milliseconds. */
  coolDownMs: number;
}

export const DEFAULT_HEALTH: HealthPolicy = {
  failureThreshold: 5,
  coolDownMs: 60_000,
};

const subscriberSchema = z.object({
  id: z.string(),
  url: z.string(),
  niveaux: z.array(z.enum(NIVEAUX)).nullable(),
  secret: z.string(),
  enabled: z.boolean(),
  createdAt: z.string(),
  consecutiveFailures: z.number().int().nonnegative(),
  lastError: z.string().nullable(),
  coolDownUntil: z.string().nullable(),
});

const stateSchema = z.object({
  enabled: z.boolean(),
  subscribers: z.array(subscriberSchema),
});

/** An HTTP subscriber as stored, secret included. */
export type Subscriber = z.infer<typeof subscriberSchema>;

export type SubscriberStatus = 'active' | 'failing' | 'disabled';

/** What `GET /subscribe` shows of a subscriber: everything but the secret. */
export type SubscriberView = Omit<Subscriber, 'secret'> & {
  status: SubscriberStatus;
};

/**
 * The global switch and the HTTP subscribers, kept in `subscribers.json`
 * (mode 0600: it holds signing secrets). Every change is written atomically
 * before the method resolves, and writes are serialised, so the file always
 * holds one whole, recent state.
 */
export class SubscriberStore {
  private writes: Promise<void> = Promise.resolve();

  private constructor(
    private readonly path: string,
    private readonly state: z.infer<typeof stateSchema>,
    private readonly health: HealthPolicy,
  ) {}

  /** Loads the store; a missing file is an empty, enabled store. */
  static async open(
    path: string,
    health: HealthPolicy = DEFAULT_HEALTH,
  ): Promise<SubscriberStore> {
    let text: string | undefined;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    if (text === undefined) {
      return new SubscriberStore(
        path,
        { enabled: true, subscribers: [] },
        health,
      );
    }
    try {
      return new SubscriberStore(
        path,
        stateSchema.parse(JSON.parse(text)),
        health,
      );
    } catch (err) {
      // Starting empty would silently drop every subscriber on next save.
      throw new Error(`${path} is not a valid subscriber store; restore it`, {
        cause: err,
      });
    }
  }

  get enabled(): boolean {
    return this.state.enabled;
  }

  async setEnabled(enabled: boolean): Promise<void> {
    this.state.enabled = enabled;
    await this.save();
  }

  list(): readonly Subscriber[] {
    return this.state.subscribers;
  }

  get(id: string): Subscriber | undefined {
    return this.state.subscribers.find((s) => s.id === id);
  }

  /** Registers a subscriber with a fresh id and signing secret. */
  async add(url: string, niveaux: Niveau[] | null, now: Date) {
    const subscriber: Subscriber = {
      id: `sub_${randomBytes(9).toString('base64url')}`,
      url,
      niveaux,
      secret: `whsec_${randomBytes(24).toString('base64')}`,
      enabled: true,
      createdAt: now.toISOString(),
      consecutiveFailures: 0,
      lastError: null,
      coolDownUntil: null,
    };
    this.state.subscribers.push(subscriber);
    await this.save();
    return subscriber;
  }

  /** Switches one on or off; switching on also forgets its failures. */
  async setSubscriberEnabled(id: string, enabled: boolean) {
    const subscriber = this.get(id);
    if (!subscriber) return undefined;
    subscriber.enabled = enabled;
    if (enabled) Object.assign(subscriber, healthy());
    await this.save();
    return subscriber;
  }

  /** Removes one; false when there was none with that id. */
  async remove(id: string): Promise<boolean> {
    const before = this.state.subscribers.length;
    this.state.subscribers = this.state.subscribers.filter((s) => s.id !== id);
    if (this.state.subscribers.length === before) return false;
    await this.save();
    return true;
  }

  async recordSuccess(id: string): Promise<void> {
    const subscriber = this.get(id);
    if (!subscriber || subscriber.consecutiveFailures === 0) return;
    Object.assign(subscriber, healthy());
    await this.save();
  }

  /**
   * Counts a failed delivery. At the threshold the subscriber is skipped
   * until the cool-down ends; the next failure after that starts another.
   * `gone` (the receiver answered 410) switches it off for good.
   */
  async recordFailure(id: string, error: string, gone: boolean, now: Date) {
    const subscriber = this.get(id);
    if (!subscriber) return;
    subscriber.consecutiveFailures += 1;
    subscriber.lastError = error;
    if (gone) subscriber.enabled = false;
    if (subscriber.consecutiveFailures >= this.health.failureThreshold) {
      const until = now.getTime() + this.health.coolDownMs;
      subscriber.coolDownUntil = new Date(until).toISOString();
    }
    await this.save();
  }

  /** True while a failing subscriber's cool-down runs. */
  isCoolingDown(subscriber: Subscriber, now: Date): boolean {
    return (
      subscriber.coolDownUntil !== null &&
      Date.parse(subscriber.coolDownUntil) > now.getTime()
    );
  }

  view(subscriber: Subscriber): SubscriberView {
    const { secret: _secret, ...rest } = subscriber;
    const failing =
      subscriber.consecutiveFailures >= this.health.failureThreshold;
    const status: SubscriberStatus = !subscriber.enabled
      ? 'disabled'
      : failing
        ? 'failing'
        : 'active';
    return { ...rest, status };
  }

  private save(): Promise<void> {
    const content = `${JSON.stringify(this.state, null, 2)}\n`;
    const done = this.writes.then(() =>
      replaceFileAtomically(this.path, content, 0o600),
    );
    this.writes = done.catch(() => undefined);
    return done;
  }
}

function healthy() {
  return { consecutiveFailures: 0, lastError: null, coolDownUntil: null };
}
