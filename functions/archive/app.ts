import { type Context, Hono } from 'hono';
import { requireApiKey } from '../core/api-key.js';
import type { Logger } from '../core/log.js';
import {
  notFound,
  onError,
  Problem,
  problemResponse,
  problems,
} from '../core/problem.js';
import {
  type PushAuth,
  pushAuthOrToken,
  requirePushAuth,
} from '../core/push-auth.js';
import { parsePushEnvelope } from '../core/push-envelope.js';
import {
  pushBodyLimit,
  type ReceivedEvent,
  readPushedEvent,
} from '../core/push-event.js';
import { logOf, pushLog, requestLog } from '../core/request-log.js';
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
  /** How pushes are authenticated (`PUSH_AUTH`). */
  pushAuth?: PushAuth;
  /** Shorthand for `pushAuth: { mode: 'token', token: pushToken }`. */
  pushToken?: string;
  /** Protects `GET /personnages` when set. */
  apiKey?: string | undefined;
  now?: () => Date;
  /** Project of the `logging.googleapis.com/trace` field. */
  projectId?: string | undefined;
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
  const { store } = deps;
  const projectId = deps.projectId ?? 'relais-local';
  const now = deps.now ?? (() => new Date());
  const app = new Hono();
  app.use(requestLog(deps.log, projectId));

  const decide = (
    c: Context,
    outcome: PushOutcome,
    ids: PushIds,
    extra = {},
    attributes: Record<string, string> = {},
  ) => {
    const { decision, level } = PUSH_OUTCOMES[outcome];
    const log = pushLog(logOf(c, deps.log), projectId, attributes);
    log[level]({ decision, outcome, ...ids, ...extra }, `push ${outcome}`);
  };

  app.get('/healthz', (c) => c.json({ status: 'ok', function: 'archive' }));

  app.post(
    '/push',
    requirePushAuth(pushAuthOrToken(deps)),
    pushBodyLimit,
    async (c) => {
      let received: ReceivedEvent;
      try {
        received = await readPushedEvent(c);
      } catch (err) {
        if (!(err instanceof Problem)) throw err;
        const ids = await idsOf(c);
        const outcome = ids.messageId ? 'invalid-event' : 'not-a-push';
        decide(c, outcome, ids, { errors: err.errors, status: err.status });
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
        decide(
          c,
          'storage-failed',
          ids,
          { code: err.code, err },
          message.attributes,
        );
        return problemResponse(
          problems.unavailable(
            'The event could not be archived; Pub/Sub will deliver it again.',
            10,
          ),
        );
      }
      decide(c, outcome, ids, {}, message.attributes);
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
    },
  );

  app.get('/personnages', requireApiKey(deps.apiKey, 'archive'), async (c) => {
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
  app.onError((err, c) => onError(logOf(c, deps.log))(err, c));
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
