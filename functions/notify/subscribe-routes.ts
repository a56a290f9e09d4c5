import type { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { z } from 'zod';
import { readJsonBody } from '../core/json-body.js';
import { NIVEAUX } from '../core/personnage.js';
import {
  type FieldError,
  fieldErrors,
  Problem,
  problems,
} from '../core/problem.js';
import {
  type AddressPolicy,
  checkCallbackHost,
  parseCallbackUrl,
  type Resolve,
  UnsafeUrlError,
} from './safe-url.js';
import type { SubscriberStore } from './subscribers.js';

export interface SubscribeDeps {
  store: SubscriberStore;
  /** `NOTIFY_API_KEY`: required by `/subscribe*` and `/notifier` if set. */
  apiKey?: string | undefined;
  policy: AddressPolicy;
  resolve: Resolve;
  now: () => Date;
}

/** Bounds the fan-out of one event, and what one caller can register. */
export const MAX_SUBSCRIBERS = 100;

const registration = z.strictObject({
  url: z
    .string({ error: 'url must be a string' })
    .max(2048, 'url must be at most 2048 characters'),
  niveaux: z
    .array(z.enum(NIVEAUX), { error: 'niveaux must be an array' })
    .min(1, 'niveaux must not be empty; omit it to receive every niveau')
    .refine((n) => new Set(n).size === n.length, 'niveaux has duplicates')
    .optional(),
});

const onOff = z.strictObject({
  enabled: z.boolean({ error: 'enabled must be true or false' }),
});

/**
 * The subscriber API on `app`: `GET /subscribe` (global switch and every
 * subscriber, secrets left out), `POST /subscribe` with `url` (register;
 * 201 with the signing secret, shown this once) or with only `enabled`
 * (switch all notifications), and `GET|PATCH|DELETE /subscribe/:id`.
 */
export function registerSubscribeRoutes(app: Hono, deps: SubscribeDeps) {
  const { store } = deps;
  const limit = bodyLimit({ maxSize: 16 * 1024 });
  const listing = () => ({
    enabled: store.enabled,
    subscribers: store.list().map((s) => store.view(s)),
  });

  app.get('/subscribe', (c) => c.json(listing()));

  app.post('/subscribe', limit, async (c) => {
    const body = objectBody((await readJsonBody(c)).value);
    if (!('url' in body)) {
      if (!('enabled' in body)) {
        throw problems.validation(
          'Send url to register a subscriber, or enabled to switch all.',
          [
            { path: 'url', message: 'required to register a subscriber' },
            { path: 'enabled', message: 'required to switch all' },
          ],
        );
      }
      await store.setEnabled(parse(onOff, body).enabled);
      return c.json(listing());
    }
    const input = parse(registration, body);
    const url = await safeUrl(input.url, deps);
    if (store.list().length >= MAX_SUBSCRIBERS) {
      throw new Problem(
        409,
        'too-many-subscribers',
        'Too many subscribers',
        `At most ${MAX_SUBSCRIBERS} subscribers; delete one first.`,
      );
    }
    const created = await store.add(url, input.niveaux ?? null, deps.now());
    c.header('Location', `/subscribe/${created.id}`);
    return c.json({ ...store.view(created), secret: created.secret }, 201);
  });

  app.get('/subscribe/:id', (c) =>
    c.json(store.view(found(store, c.req.param('id')))),
  );

  app.patch('/subscribe/:id', limit, async (c) => {
    const id = found(store, c.req.param('id')).id;
    const { enabled } = parse(onOff, objectBody((await readJsonBody(c)).value));
    const updated = await store.setSubscriberEnabled(id, enabled);
    // Deleted while the body was read.
    if (!updated) throw unknownSubscriber(id);
    return c.json(store.view(updated));
  });

  app.delete('/subscribe/:id', async (c) => {
    const id = c.req.param('id');
    if (!(await store.remove(id))) throw unknownSubscriber(id);
    return c.body(null, 204);
  });
}

function found(store: SubscriberStore, id: string) {
  const subscriber = store.get(id);
  if (!subscriber) throw unknownSubscriber(id);
  return subscriber;
}

function unknownSubscriber(id: string): Problem {
  return new Problem(
    404,
    'unknown-subscriber',
    'Unknown subscriber',
    `No subscriber has the id ${JSON.stringify(id.slice(0, 64))}.`,
  );
}

function objectBody(value: unknown): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw problems.validation('The body must be a JSON object.', [
      { path: '(body)', message: 'expected an object' },
    ]);
  }
  return value as Record<string, unknown>;
}

function parse<T>(schema: z.ZodType<T>, body: unknown): T {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  throw problems.validation(
    'The request body is not valid.',
    fields(parsed.error),
  );
}

/** Field errors where each unknown key is named as its own field. */
function fields(error: z.ZodError): FieldError[] {
  return error.issues.flatMap((issue) =>
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => ({ path: key, message: 'unknown field' }))
      : fieldErrors(new z.ZodError([issue])),
  );
}

async function safeUrl(raw: string, deps: SubscribeDeps): Promise<string> {
  try {
    const url = parseCallbackUrl(raw);
    await checkCallbackHost(url, deps.policy, deps.resolve);
    return url.href;
  } catch (err) {
    if (!(err instanceof UnsafeUrlError)) throw err;
    throw problems.validation('The callback URL is not allowed.', [
      { path: 'url', message: `url ${err.message}` },
    ]);
  }
}
