import { Hono } from 'hono';
import { accepts } from 'hono/accepts';
import { requireApiKey } from '../core/api-key.js';
import type { Logger } from '../core/log.js';
import {
  notFound,
  onError,
  problemResponse,
  problems,
} from '../core/problem.js';
import {
  type PushAuth,
  pushAuthOrToken,
  requirePushAuth,
} from '../core/push-auth.js';
import { pushBodyLimit, readPushedEvent } from '../core/push-event.js';
import { logOf, pushLog, requestLog } from '../core/request-log.js';
import { badgePage } from './badge-page.js';
import type { Fanout } from './fanout.js';
import type { LocalChannels } from './local-channels.js';
import {
  registerSubscribeRoutes,
  type SubscribeDeps,
} from './subscribe-routes.js';

export interface NotifyDeps extends SubscribeDeps {
  fanout: Fanout;
  local: LocalChannels;
  /** How pushes are authenticated (`PUSH_AUTH`). */
  pushAuth?: PushAuth;
  /** Shorthand for `pushAuth: { mode: 'token', token: pushToken }`. */
  pushToken?: string;
  log: Logger;
  /** Project of the `logging.googleapis.com/trace` field. */
  projectId?: string | undefined;
}

const ROUTES = {
  '/healthz': ['GET'],
  '/push': ['POST'],
  '/notifier': ['GET'],
  '/subscribe': ['GET', 'POST'],
  '/subscribe/:id': ['GET', 'PATCH', 'DELETE'],
} as const;

/**
 * Notify: the push endpoint of subscription `notify`, and the subscriber
 * API. A push is acknowledged (204) once every channel has the event; when
 * any channel still lacks it the answer is 503, so Pub/Sub redelivers it
 * and the redelivery goes to the missing channels only.
 *
 * After the subscription's last delivery attempt (topology:
 * `maxDeliveryAttempts`) the message moves to the dead-letter topic
 * `<topic>-dead-letter`. The `delivery-failed` log lines name the channels
 * it missed. To see it, pull the inspection subscription
 * `<topic>-dead-letter-inspect` (`gcloud pubsub subscriptions pull ...`;
 * Pub/Sub adds `CloudPubSubDeadLetterSource*` attributes). To replay it,
 * fix or switch the subscriber back on (`PATCH /subscribe/:id`, which also
 * ends a cool-down), then publish the same data with its `eventType` and
 * `eventId` attributes to the topic again: the journals make the replay
 * reach only the channels that missed it, and archive dedupes by event id.
 */
export function createNotifyApp(deps: NotifyDeps): Hono {
  const { store, fanout, local } = deps;
  const projectId = deps.projectId ?? 'relais-local';
  const app = new Hono();
  app.use(requestLog(deps.log, projectId));

  app.get('/healthz', (c) => c.json({ status: 'ok', function: 'notify' }));

  app.post(
    '/push',
    requirePushAuth(pushAuthOrToken(deps)),
    pushBodyLimit,
    async (c) => {
      const { event, message } = await readPushedEvent(c);
      const ids = {
        eventId: event.id,
        messageId: message.messageId,
        deliveryAttempt: message.deliveryAttempt,
      };
      const log = pushLog(logOf(c, deps.log), projectId, message.attributes);
      if (!store.enabled) {
        log.info({ decision: 'skipped', ...ids }, 'notifications are off');
        return c.body(null, 204);
      }
      const { outcomes, pending } = await fanout.notify(event);
      if (pending.length > 0) {
        log.warn(
          { decision: 'delivery-failed', ...ids, pending },
          'will retry',
        );
        return problemResponse(
          problems.unavailable(
            `${pending.length} channel(s) did not take event ${event.id}; ` +
              'Pub/Sub will redeliver it to those only.',
            10,
          ),
        );
      }
      const done = outcomes.filter((o) => o.state === 'done');
      log.info(
        {
          decision: done.length > 0 ? 'notified' : 'duplicate',
          ...ids,
          channels: done.map((o) => o.channel),
        },
        done.length > 0 ? 'event notified' : 'event already notified',
      );
      return c.body(null, 204);
    },
  );

  // The control routes change who hears about every event; the API key,
  // when configured, guards them all. /push has its own authentication.
  const control = requireApiKey(deps.apiKey, 'notify');
  app.use('/notifier', control);
  app.use('/subscribe', control);
  app.use('/subscribe/*', control);

  app.get('/notifier', (c) => {
    const format =
      c.req.query('format') ??
      accepts(c, {
        header: 'Accept',
        supports: ['application/json', 'text/html'],
        default: 'application/json',
      });
    c.header('Vary', 'Accept');
    if (format === 'html' || format === 'text/html') {
      c.header(
        'Content-Security-Policy',
        "default-src 'none'; style-src 'unsafe-inline'",
      );
      return c.html(badgePage(local.badge()));
    }
    if (format === 'json' || format === 'application/json') {
      return c.json(local.badge());
    }
    throw problems.validation('Unknown format.', [
      { path: 'format', message: 'format must be json or html' },
    ]);
  });

  registerSubscribeRoutes(app, deps);
  app.notFound(notFound(ROUTES));
  app.onError((err, c) => onError(logOf(c, deps.log))(err, c));
  return app;
}
