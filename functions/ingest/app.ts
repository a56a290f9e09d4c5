import { randomUUID } from 'node:crypto';
import { Hono } from 'hono';
import { type Config, loadConfig } from '../core/config.js';
import type { Logger } from '../core/log.js';
import { requireJsonEntity } from '../core/media.js';
import { toEvent } from '../core/personnage.js';
import { notFound, onError } from '../core/problem.js';
import type { Publisher } from '../core/publisher.js';
import { logOf, requestLog, traceOfRequest } from '../core/request-log.js';
import { toTraceparent } from '../core/trace.js';
import { Authenticator } from './auth.js';
import { decodeJson, limitBody, readBody } from './body.js';
import { corsFor } from './cors.js';
import { eventIdFor } from './event-id.js';
import {
  fingerprint,
  IdempotencyStore,
  idempotencyKeyOf,
  REPLAYED_HEADER,
  scopedKey,
} from './idempotency.js';
import { toPersonnageInput } from './input.js';
import { publishWithin, toMessage } from './publish.js';

/** What ingest reads from the configuration. */
export type IngestConfig = Pick<
  Config,
  | 'topic'
  | 'publishTimeoutMs'
  | 'maxBodyBytes'
  | 'ingestApiKeys'
  | 'webhookSecrets'
  | 'githubWebhookSecrets'
  | 'webhookToleranceSeconds'
  | 'corsOrigins'
  | 'idempotencyTtlMs'
  | 'idempotencyMaxKeys'
>;

export interface IngestDeps {
  /** Settings left out take the documented defaults of `loadConfig`. */
  config: Pick<IngestConfig, 'topic' | 'publishTimeoutMs'> &
    Partial<IngestConfig>;
  publisher: Publisher;
  log: Logger;
  now?: () => Date;
  /** The id of an event whose request carries no idempotency key. */
  newId?: () => string;
  /** Shared by app instances that should share a window (tests). */
  idempotency?: IdempotencyStore;
  /** Project of the `logging.googleapis.com/trace` field. */
  projectId?: string;
}

const ROUTES = {
  '/healthz': ['GET'],
  '/webhook/personnage': ['POST'],
} as const;

/**
 * Ingest: authenticates a webhook, validates the personnage, enriches it
 * with its niveau and an id, publishes it, and answers 202 only once
 * Pub/Sub has acknowledged it. Every other answer is problem+json. Checks
 * run cheapest first: route and method, credentials in headers, media
 * type, size, signatures over the raw bytes, JSON, schema, idempotency.
 */
export function createIngestApp(deps: IngestDeps): Hono {
  const given = Object.entries(deps.config).filter(([, v]) => v !== undefined);
  // An explicit undefined must not erase a default (the replay tolerance).
  const config: IngestConfig = {
    ...loadConfig({}),
    ...Object.fromEntries(given),
  };
  const { publisher, log } = deps;
  const now = deps.now ?? (() => new Date());
  const newId = deps.newId ?? randomUUID;
  const auth = new Authenticator(config, log, now);
  const idempotency =
    deps.idempotency ??
    new IdempotencyStore({
      maxKeys: config.idempotencyMaxKeys,
      ttlMs: config.idempotencyTtlMs,
    });
  // Not strict: `/webhook/personnage/` is the same route, not a 405.
  const app = new Hono({ strict: false });

  app.use(requestLog(log, deps.projectId ?? 'relais-local'));
  const cors = corsFor(config.corsOrigins);
  if (cors) app.use('*', cors);

  app.get('/healthz', (c) => c.json({ status: 'ok', function: 'ingest' }));

  app.post(
    '/webhook/personnage',
    auth.gate(),
    requireJsonEntity(),
    limitBody(config.maxBodyBytes),
    async (c) => {
      const bytes = await readBody(c, config.maxBodyBytes);
      const principal = auth.verify(c.req.raw.headers, bytes);
      const input = toPersonnageInput(decodeJson(bytes));
      const given = idempotencyKeyOf(c.req.raw.headers);
      const key = given === undefined ? undefined : scopedKey(principal, given);

      const log = logOf(c, deps.log);
      const trace = traceOfRequest(c);
      const accept = async () => {
        const event = toEvent(
          input,
          key === undefined ? newId() : eventIdFor(key, input),
          now(),
        );
        log.info(
          { decision: 'received', eventId: event.id },
          'webhook received',
        );
        const messageId = await publishWithin(
          publisher,
          toMessage(event, trace && toTraceparent(trace)),
          config.publishTimeoutMs,
        );
        log.info(
          { decision: 'published', eventId: event.id, messageId },
          'event published',
        );
        return JSON.stringify({ event, messageId });
      };

      if (key === undefined) {
        return c.body(await accept(), 202, {
          'Content-Type': 'application/json',
        });
      }
      const answer = await idempotency.once(key, fingerprint(input), accept);
      if (answer.replayed) {
        log.info(
          { decision: 'replayed', idempotencyKey: given, principal },
          'replayed',
        );
      }
      return c.body(answer.body, 202, {
        'Content-Type': 'application/json',
        ...(answer.replayed ? { [REPLAYED_HEADER]: 'true' } : {}),
      });
    },
  );

  app.notFound(notFound(ROUTES));
  app.onError((err, c) => onError(logOf(c, log))(err, c));
  return app;
}
