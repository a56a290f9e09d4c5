import { randomUUID } from 'node:crypto';
import { Hono } from 'hono';
import type { Config } from '../core/config.js';
import { readJsonBody } from '../core/json-body.js';
import type { Logger } from '../core/log.js';
import {
  PERSONNAGE_CREATED,
  personnageInput,
  toEvent,
} from '../core/personnage.js';
import {
  fieldErrors,
  notFound,
  onError,
  problems,
} from '../core/problem.js';
import { type Publisher, PublishUnavailableError } from '../core/publisher.js';

export interface IngestDeps {
  config: Pick<Config, 'topic' | 'publishTimeoutMs'>;
  publisher: Publisher;
  log: Logger;
  now?: () => Date;
  newId?: () => string;
}

const ROUTES = {
  '/healthz': ['GET'],
  '/webhook/personnage': ['POST'],
} as const;

/**
 * Ingest: validates a personnage, enriches it with its niveau and an id,
 * publishes it, and answers 202 only once Pub/Sub has acknowledged it.
 */
export function createIngestApp(deps: IngestDeps): Hono {
  const { publisher, log } = deps;
  const now = deps.now ?? (() => new Date());
  const newId = deps.newId ?? randomUUID;
  const app = new Hono();

  app.get('/healthz', (c) => c.json({ status: 'ok', function: 'ingest' }));

  app.post('/webhook/personnage', async (c) => {
    const { value } = await readJsonBody(c);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw problems.validation('The body must be a JSON object.', [
        { path: '(body)', message: 'expected an object' },
      ]);
    }
    const parsed = personnageInput.safeParse(value);
    if (!parsed.success) {
      throw problems.validation(
        'The personnage is not valid.',
        fieldErrors(parsed.error),
      );
    }

    const event = toEvent(parsed.data, newId(), now());
    log.info({ decision: 'received', eventId: event.id }, 'webhook received');
    let messageId: string;
    try {
      messageId = await publisher.publish({
        data: Buffer.from(JSON.stringify(event)),
        attributes: { eventType: PERSONNAGE_CREATED, eventId: event.id },
      });
    } catch (err) {
      if (!(err instanceof PublishUnavailableError)) throw err;
      throw problems.unavailable(
        `The event could not be published to ${deps.config.topic}; retry later.`,
        5,
        err,
      );
    }
    log.info(
      { decision: 'published', eventId: event.id, messageId },
      'event published',
    );
    return c.json({ event, messageId }, 202);
  });

  app.notFound(notFound(ROUTES));
  app.onError(onError(log));
  return app;
}
