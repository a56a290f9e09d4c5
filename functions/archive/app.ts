import { type Context, Hono } from 'hono';
import type { Logger } from '../core/log.js';
import {
  notFound,
  onError,
  Problem,
  problemResponse,
  problems,
} from '../core/problem.js';
import { requirePushToken } from '../core/push-auth.js';
import { parsePushEnvelope } from '../core/push-envelope.js';
import { type ReceivedEvent, readPushedEvent } from '../core/push-event.js';
import { requireApiKey } from './api-key.js';
import { PUSH_OUTCOMES, type PushOutcome } from './disposition.js';
import {
  type ArchiveStore,
  InvalidCursorError,
  StorageError,
  toEntry,
} from './entry.js';
import { parseListQuery } from './query.js';

export interface ArchiveDeps {
  store: ArchiveStore;
  log: Logger;
  /** The secret of the `archive` subscription's endpoint URL. */
  pushToken: string;
  /** Protects `GET /personnages` when set. */
  apiKey?: string | undefined;
  now?: () => Date;
}

const ROUTES = {
  '/healthz': ['GET'],
  '/push': ['POST'],
  '/personnages': ['GET'],
} as const;

/** Correlation ids of a push, as far as its body can be read. */
interface PushIds {
  messageId?: string | undefined;
  eventId?: string | undefined;
  subscription?: string | undefined;
  deliveryAttempt?: number | undefined;
}

/**
 * Archive: the push endpoint of the `archive` subscription, which answers
 * each message per `PUSH_OUTCOMES` and acknowledges only durable entries,
 * and `GET /personnages`, which pages through what is archived.
 */
export function createArchiveApp(deps: ArchiveDeps): Hono {
  const { store, log } = deps;
  const now = deps.now ?? (() => new Date());
  const app = new Hono();

  const decide = (outcome: PushOutcome, ids: PushIds, extra = {}) => {
    const { decision, level } = PUSH_OUTCOMES[outcome];
    log[level]({ decision, outcome, ...ids, ...extra }, `push ${outcome}`);
  };

  app.get('/healthz', (c) => c.json({ status: 'ok', function: 'archive' }));

  app.post('/push', requirePushToken(deps.pushToken), async (c) => {
    let received: ReceivedEvent;
    try {
      received = await readPushedEvent(c);
    } catch (err) {
      if (!(err instanceof Problem)) throw err;
      const ids = await idsOf(c);
      const outcome = ids.messageId ? 'invalid-event' : 'not-a-push';
      decide(outcome, ids, { errors: err.errors, status: err.status });
      return problemResponse(err);
    }
    const { event, message } = received;
    const ids: PushIds = {
      messageId: message.messageId,
      eventId: event.id,
      subscription: message.subscription,
      deliveryAttempt: message.deliveryAttempt,
    };

    let outcome: PushOutcome;
    try {
      outcome = await store.append(toEntry(received, now()));
    } catch (err) {
      if (!(err instanceof StorageError)) throw err;
      decide('storage-failed', ids, { code: err.code, err });
      return problemResponse(
        problems.unavailable(
          'The event could not be archived; Pub/Sub will deliver it again.',
          10,
        ),
      );
    }
    decide(outcome, ids);
    if (outcome === 'conflict') {
      return problemResponse(
        new Problem(
          409,
          'conflict',
          'Conflicting event',
          `Event ${event.id} is archived with other content; message ` +
            `${message.messageId} is refused for the dead-letter topic.`,
        ),
      );
    }
    return c.body(null, 204);
  });

  app.get('/personnages', requireApiKey(deps.apiKey), async (c) => {
    const query = parseListQuery(c.req.query());
    try {
      return c.json(await store.list(query));
    } catch (err) {
      if (!(err instanceof InvalidCursorError)) throw err;
      throw problems.validation('The query parameters are not valid.', [
        {
          path: 'cursor',
          message: 'cursor is not one this archive handed out',
        },
      ]);
    }
  });

  app.notFound(notFound(ROUTES));
  app.onError(onError(log));
  return app;
}

/** The ids of a push that failed validation, from its cached body. */
async function idsOf(c: Context): Promise<PushIds> {
  const body: unknown = await c.req.json().catch(() => undefined);
  const envelope = parsePushEnvelope(body);
  if (!envelope.ok) return {};
  const { message } = envelope;
  return {
    messageId: message.messageId,
    eventId: message.attributes.eventId,
    subscription: message.subscription,
    deliveryAttempt: message.deliveryAttempt,
  };
}
