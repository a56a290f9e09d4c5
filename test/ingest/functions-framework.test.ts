import { beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../emulator/launcher.js';
import type { Principal } from '../../functions/ingest/auth.js';
import { eventIdFor } from '../../functions/ingest/event-id.js';
import { scopedKey } from '../../functions/ingest/idempotency.js';
import {
  collectMessages,
  defer,
  emulatorEnv,
  type MessageCollector,
  spawnTracked,
  type TrackedProcess,
  testPubSub,
  uniqueNames,
  waitFor,
} from '../harness/index.js';
import { BAD_REQUESTS, expectRefused } from './bad-requests.js';
import {
  GITHUB_SECRET,
  GOKU,
  githubSignature,
  goku,
  post,
  standardWebhookHeaders,
  viaHttp,
  WHSEC,
} from './support.js';

const API_KEY = 'ff-test-api-key-0123456789';

interface Served {
  url: string;
  process: TrackedProcess;
  received: MessageCollector;
}

/**
 * The real functions-framework server with `--target=ingest`, publishing
 * to a fresh topic of the run's emulator that a pull subscription watches.
 */
async function serveIngest(env: Record<string, string>): Promise<Served> {
  const names = uniqueNames('ff');
  const pubsub = testPubSub();
  const [topic] = await pubsub.createTopic(names.topic);
  const [subscription] = await topic.createSubscription(names.archive);
  defer(async () => {
    await subscription.delete().catch(() => undefined);
    await topic.delete().catch(() => undefined);
  });
  const received = collectMessages(pubsub, names.archive);
  const port = await freePort();
  const process = spawnTracked(
    'node_modules/.bin/functions-framework',
    ['--target=ingest', '--source=functions/index.ts', `--port=${port}`],
    {
      env: {
        PATH: globalThis.process.env.PATH,
        NODE_OPTIONS: '--import tsx',
        ...emulatorEnv(),
        TOPIC: names.topic,
        LOG_LEVEL: 'warn',
        ...env,
      },
    },
  );
  const url = `http://127.0.0.1:${port}`;
  await waitFor(
    async () => {
      if (process.child.exitCode !== null) {
        throw new Error(`exited: ${process.output()}`);
      }
      return (await fetch(`${url}/healthz`)).ok;
    },
    { timeoutMs: 20_000, message: 'functions-framework to serve ingest' },
  );
  return { url, process, received };
}

/** Sends a good request and waits for its message: the topic is watched. */
async function expectOnlyControlArrives(
  served: Served,
  key: string,
  scope: Principal,
  headers: Record<string, string> = {},
) {
  const res = await viaHttp(
    served.url,
    post(goku, { 'idempotency-key': key, ...headers }),
  );
  expect(res.status, res.text).toBe(202);
  await waitFor(() => served.received.messages.length > 0, {
    message: 'the control message on the pull subscription',
  });
  // Let any earlier, unexpected message arrive too before counting.
  await new Promise((resolve) => setTimeout(resolve, 500));
  expect(served.received.messages.map((m) => m.attributes.eventId)).toEqual([
    eventIdFor(scopedKey(scope, key), GOKU),
  ]);
}

describe('functions-framework, open (the local default)', () => {
  let served: Served;
  beforeAll(async () => {
    served = await serveIngest({});
  });

  it.each(BAD_REQUESTS)('refuses $name ($status)', async (bad) => {
    expectRefused(await viaHttp(served.url, bad.request), bad);
  });

  it('is still up, and published only the control request', async () => {
    expect(served.process.child.exitCode).toBeNull();
    await expectOnlyControlArrives(served, 'ff-control-open', 'anonymous');
  });
});

describe('functions-framework, with every credential configured', () => {
  let served: Served;
  beforeAll(async () => {
    served = await serveIngest({
      INGEST_API_KEYS: API_KEY,
      WEBHOOK_SECRETS: WHSEC,
      GITHUB_WEBHOOK_SECRETS: GITHUB_SECRET,
    });
  });

  it.each(BAD_REQUESTS)('refuses $name with a good key', async (bad) => {
    const request = {
      ...bad.request,
      headers: { ...bad.request.headers, 'x-api-key': API_KEY },
    };
    expectRefused(await viaHttp(served.url, request), bad);
  });

  it('is still up, and published only the control request', async () => {
    expect(served.process.child.exitCode).toBeNull();
    await expectOnlyControlArrives(served, 'ff-control-keyed', 'api-key', {
      'x-api-key': API_KEY,
    });
  });

  it('verifies a Standard Webhooks signature over the raw bytes', async () => {
    const raw = Buffer.from('\ufeff{ "nom" : "Végéta 🔥",\n "score": 88 }');
    const signed = standardWebhookHeaders(raw);
    const tampered = { ...signed, 'webhook-id': 'msg_other' };

    const bad = await viaHttp(served.url, post(raw, tampered));
    const good = await viaHttp(served.url, post(raw, signed));

    expect(bad.status).toBe(401);
    expect(good.status, good.text).toBe(202);
    expect(JSON.parse(good.text).event.nom).toBe('Végéta 🔥');
  });

  it('verifies a GitHub signature over the raw bytes', async () => {
    const raw = Buffer.from('{"nom":"Bulma",\r\n"score":60}');
    const res = await viaHttp(
      served.url,
      post(raw, { 'x-hub-signature-256': githubSignature(raw) }),
    );
    expect(res.status, res.text).toBe(202);
  });

  it('refuses a request without credentials', async () => {
    const res = await viaHttp(served.url, post(goku));
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toContain('Bearer');
  });
});
