import type { Logger } from '../core/log.js';
import type { PersonnageEvent } from '../core/personnage.js';
import type { Callback, DeliveryResult } from './deliver.js';
import type { DeliveryJournal } from './journal.js';
import type { LocalChannels } from './local-channels.js';
import type { Subscriber, SubscriberStore } from './subscribers.js';

/** What happened on one channel for one event. */
export type ChannelOutcome = { channel: string } & (
  | { state: 'done' }
  | { state: 'already' }
  | { state: 'gone' }
  | { state: 'failed'; error: string }
  | { state: 'cooling-down'; until: string }
);

export interface FanoutResult {
  outcomes: ChannelOutcome[];
  /** The channels left to retry; none means the push may be acknowledged. */
  pending: ChannelOutcome[];
}

export interface FanoutDeps {
  local: LocalChannels;
  store: SubscriberStore;
  journal: DeliveryJournal;
  deliver: (callback: Callback) => Promise<DeliveryResult>;
  log: Logger;
  now: () => Date;
}

/** The channel name of the file, console and badge together. */
export const LOCAL_CHANNEL = 'local';

const PENDING = new Set<ChannelOutcome['state']>(['failed', 'cooling-down']);

/**
 * Notifies one event on every channel that has not had it yet: the local
 * channels, then each enabled HTTP subscriber whose niveau filter matches,
 * all in parallel. A channel is done once its journal says so, and only
 * then; the journals are read back at start, so a redelivery (or a replay
 * from the dead-letter topic) reaches only the channels still missing.
 * Two deliveries of one event at once share each channel's attempt.
 */
export class Fanout {
  private readonly inFlight = new Map<string, Promise<ChannelOutcome>>();

  constructor(private readonly deps: FanoutDeps) {}

  async notify(event: PersonnageEvent): Promise<FanoutResult> {
    const { store } = this.deps;
    const targets = store
      .list()
      .filter((s) => s.enabled)
      .filter((s) => s.niveaux === null || s.niveaux.includes(event.niveau));
    const outcomes = await Promise.all([
      this.once(event.id, LOCAL_CHANNEL, () => this.notifyLocal(event)),
      ...targets.map((s) =>
        this.once(event.id, s.id, () => this.deliverTo(event, s)),
      ),
    ]);
    return {
      outcomes,
      pending: outcomes.filter((o) => PENDING.has(o.state)),
    };
  }

  private once(
    eventId: string,
    channel: string,
    attempt: () => Promise<ChannelOutcome>,
  ): Promise<ChannelOutcome> {
    const key = `${eventId} ${channel}`;
    const running = this.inFlight.get(key);
    if (running) return running;
    const outcome = attempt()
      .catch((err: NodeJS.ErrnoException): ChannelOutcome => {
        if (err.syscall !== undefined) {
          // The disk (full, read-only, over a size limit), not a bug: no
          // stack, the cause and the file; Pub/Sub retries the event.
          const { code, syscall, path } = err;
          this.deps.log.error(
            { eventId, channel, code, syscall, path },
            'channel could not write its journal; the event will be retried',
          );
          return { channel, state: 'failed', error: `storage error (${code})` };
        }
        this.deps.log.error({ err, eventId, channel }, 'channel crashed');
        return { channel, state: 'failed', error: 'internal error' };
      })
      .finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, outcome);
    return outcome;
  }

  private async notifyLocal(event: PersonnageEvent): Promise<ChannelOutcome> {
    const { local, now } = this.deps;
    const channel = LOCAL_CHANNEL;
    if (local.has(event.id)) return { channel, state: 'already' };
    await local.notify(event, now());
    return { channel, state: 'done' };
  }

  private async deliverTo(
    event: PersonnageEvent,
    subscriber: Subscriber,
  ): Promise<ChannelOutcome> {
    const { store, journal, now } = this.deps;
    const channel = subscriber.id;
    if (journal.has(event.id, channel)) return { channel, state: 'already' };
    if (store.isCoolingDown(subscriber, now())) {
      const until = subscriber.coolDownUntil ?? '';
      return { channel, state: 'cooling-down', until };
    }
    const result = await this.deps.deliver({
      url: subscriber.url,
      secret: subscriber.secret,
      webhookId: `msg_${event.id}_${subscriber.id}`,
      body: JSON.stringify({
        type: event.type,
        timestamp: event.receivedAt,
        data: event,
      }),
    });
    if (result.ok) {
      await journal.record(event.id, channel, now());
      await this.health(channel, () => store.recordSuccess(channel));
      return { channel, state: 'done' };
    }
    await this.health(channel, () =>
      store.recordFailure(channel, result.error, result.gone, now()),
    );
    if (result.gone) return { channel, state: 'gone' };
    return { channel, state: 'failed', error: result.error };
  }

  /** Health counters are advisory: failing to save them fails no delivery. */
  private async health(channel: string, update: () => Promise<void>) {
    try {
      await update();
    } catch (err) {
      this.deps.log.warn({ err, channel }, 'subscriber health not saved');
    }
  }
}
