import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../functions/core/config.js';
import { buildIngest } from '../../functions/ingest/index.js';
import {
  expectProblem,
  GITHUB_SECRET,
  githubSignature,
  goku,
  logSink,
  post,
  standardWebhookHeaders,
  testIngest,
  viaApp,
  WHSEC,
  WHSEC_NEXT,
} from './support.js';

const KEY = 'key-2026-current-0123456789';
const OLD_KEY = 'key-2025-previous-0123456789';
const NOW = new Date('2026-06-01T12:00:00Z');
const minutes = (n: number) => new Date(NOW.getTime() + n * 60_000);

function ingestWith(config: {
  ingestApiKeys?: string[];
  webhookSecrets?: string[];
  githubWebhookSecrets?: string[];
  webhookToleranceSeconds?: number;
}) {
  const sink = logSink();
  const ingest = testIngest({ config, log: sink.log, now: () => NOW });
  return { ...ingest, logs: sink.text };
}

async function expectAccepted(
  ingest: ReturnType<typeof ingestWith>,
  headers: Record<string, string>,
  body = goku,
) {
  const res = await viaApp(ingest.app, post(body, headers));
  expect(res.status, res.text).toBe(202);
  expect(ingest.publisher.messages).toHaveLength(1);
}

async function expectUnauthorized(
  ingest: ReturnType<typeof ingestWith>,
  headers: Record<string, string>,
  body: string | Uint8Array = goku,
) {
  const res = await viaApp(ingest.app, post(body, headers));
  expectProblem(res, 401, 'unauthorized');
  expect(res.headers.get('www-authenticate')).toMatch(/realm="relais-ingest"/);
  expect(ingest.publisher.calls).toBe(0);
  return res;
}

describe('with no credential configured', () => {
  it('admits anyone (the local default)', async () => {
    await expectAccepted(ingestWith({}), {});
  });

  it('ignores credentials it has no way to check', async () => {
    await expectAccepted(ingestWith({}), {
      authorization: 'Bearer whatever',
      'x-hub-signature-256': 'sha256=nonsense',
    });
  });
});

describe('API keys', () => {
  const keyed = () => ingestWith({ ingestApiKeys: [KEY, OLD_KEY] });

  it('admits a key sent as Authorization: Bearer', async () => {
    await expectAccepted(keyed(), { authorization: `Bearer ${KEY}` });
  });

  it('admits a key sent as X-API-Key', async () => {
    await expectAccepted(keyed(), { 'x-api-key': KEY });
  });

  it('reads the Bearer scheme case-insensitively', async () => {
    await expectAccepted(keyed(), { authorization: `bearer ${KEY}` });
  });

  it('admits every configured key, for rotation', async () => {
    await expectAccepted(keyed(), { 'x-api-key': OLD_KEY });
  });

  it('refuses a request without a key, with a Bearer challenge', async () => {
    const res = await expectUnauthorized(keyed(), {});
    expect(res.headers.get('www-authenticate')).toBe(
      'Bearer realm="relais-ingest"',
    );
  });

  it.each([
    ['an unknown key', { authorization: 'Bearer not-a-key' }],
    ['a key one character short', { 'x-api-key': KEY.slice(0, -1) }],
    ['a retired key', { 'x-api-key': 'key-2024-retired-0123456789' }],
    ['Basic credentials', { authorization: `Basic ${btoa(`u:${KEY}`)}` }],
    ['an empty Bearer', { authorization: 'Bearer ' }],
    [
      'a good Bearer with a wrong X-API-Key',
      { authorization: `Bearer ${KEY}`, 'x-api-key': 'wrong' },
    ],
  ])('refuses %s', async (_, headers) => {
    await expectUnauthorized(keyed(), headers);
  });

  it('refuses before reading the body', async () => {
    const ingest = keyed();
    const res = await viaApp(ingest.app, {
      ...post(' '.repeat(1 << 20)),
      chunked: true,
    });
    expectProblem(res, 401, 'unauthorized');
  });

  it('logs why, never the key', async () => {
    const ingest = keyed();
    await expectUnauthorized(ingest, { 'x-api-key': `${KEY}x` });
    expect(ingest.logs()).toContain('unknown API key');
    expect(ingest.logs()).not.toContain(KEY);
  });
});

describe('Standard Webhooks signatures', () => {
  const signed = (tolerance?: number) =>
    ingestWith({
      webhookSecrets: [WHSEC_NEXT, WHSEC],
      webhookToleranceSeconds: tolerance,
    });
  const sign = (body: string | Uint8Array, at = NOW, secret = WHSEC) =>
    standardWebhookHeaders(body, { at, secret });

  it('admits a body signed with a configured secret', async () => {
    await expectAccepted(signed(), sign(goku));
  });

  it('admits every configured secret, for rotation', async () => {
    await expectAccepted(signed(), sign(goku, NOW, WHSEC_NEXT));
  });

  it('admits a header listing an old and a new signature', async () => {
    const retired = `whsec_${Buffer.alloc(32, 1).toString('base64')}`;
    const good = sign(goku);
    const old = sign(goku, NOW, retired);
    await expectAccepted(signed(), {
      ...good,
      'webhook-signature': `${old['webhook-signature']} ${good['webhook-signature']}`,
    });
  });

  it('verifies the raw bytes, never re-serialised JSON', async () => {
    const raw = Buffer.from('\ufeff{ "nom" : "Végéta",\n"score":88 }');
    await expectAccepted(signed(), sign(raw), raw as unknown as string);
    const reserialised = JSON.stringify({ nom: 'Végéta', score: 88 });
    await expectUnauthorized(signed(), sign(raw), reserialised);
  });

  it('admits a timestamp within the tolerance', async () => {
    await expectAccepted(signed(), sign(goku, minutes(-4)));
  });

  it('refuses a replayed request whose timestamp is too old', async () => {
    const ingest = signed();
    await expectUnauthorized(ingest, sign(goku, minutes(-6)));
    expect(ingest.logs()).toContain('too old');
  });

  it('refuses a timestamp too far in the future', async () => {
    await expectUnauthorized(signed(), sign(goku, minutes(6)));
  });

  it('follows a configured tolerance', async () => {
    await expectAccepted(signed(3_600), sign(goku, minutes(-59)));
    await expectUnauthorized(signed(3_600), sign(goku, minutes(-61)));
  });

  it.each([
    [
      'a tampered body',
      (h: Record<string, string>) => h,
      '{"nom":"X","score":1}',
    ],
    [
      'another webhook-id',
      (h: Record<string, string>) => ({ ...h, 'webhook-id': 'msg_other' }),
      goku,
    ],
    [
      'no webhook-id',
      ({ 'webhook-id': _, ...h }: Record<string, string>) => h,
      goku,
    ],
    [
      'no webhook-timestamp',
      ({ 'webhook-timestamp': _, ...h }: Record<string, string>) => h,
      goku,
    ],
    [
      'a timestamp in milliseconds',
      (h: Record<string, string>) => ({
        ...h,
        'webhook-timestamp': String(NOW.getTime()),
      }),
      goku,
    ],
    [
      'a timestamp with letters',
      (h: Record<string, string>) => ({
        ...h,
        'webhook-timestamp': `${h['webhook-timestamp']}abc`,
      }),
      goku,
    ],
    [
      'a v2 signature only',
      (h: Record<string, string>) => ({
        ...h,
        'webhook-signature':
          h['webhook-signature']?.replace('v1,', 'v2,') ?? '',
      }),
      goku,
    ],
    [
      'an empty signature',
      (h: Record<string, string>) => ({ ...h, 'webhook-signature': '' }),
      goku,
    ],
    [
      'a truncated signature',
      (h: Record<string, string>) => ({
        ...h,
        'webhook-signature': h['webhook-signature']?.slice(0, -2) ?? '',
      }),
      goku,
    ],
  ])('refuses %s', async (_, change, body) => {
    await expectUnauthorized(signed(), change(sign(goku)), body);
  });

  it.each([
    ['no webhook-id', undefined, 'webhook-id is missing'],
    ['an empty webhook-id', '', 'webhook-id is missing'],
    ['a webhook-id of 300 characters', 'm'.repeat(300), 'webhook-id is not'],
    ['a webhook-id that is not ASCII', 'msg_\u00e9', 'webhook-id is not'],
  ])('refuses a signature over %s, saying why', async (_, id, reason) => {
    // Signed as a sender would: `id.timestamp.body`, even with no id.
    const headers: Record<string, string> = {
      'webhook-timestamp': String(NOW.getTime() / 1000),
      'webhook-signature': new Webhook(WHSEC).sign(id ?? '', NOW, goku),
    };
    if (id !== undefined) headers['webhook-id'] = id;
    const ingest = signed();

    const res = await expectUnauthorized(ingest, headers);

    expect(JSON.parse(res.text).detail).toContain(reason);
    expect(ingest.logs()).toContain(reason);
  });

  it('refuses a body signed with an unknown secret', async () => {
    const unknown = `whsec_${Buffer.alloc(32, 3).toString('base64')}`;
    await expectUnauthorized(signed(), sign(goku, NOW, unknown));
  });

  it('challenges a request with no signature', async () => {
    const res = await expectUnauthorized(signed(), {});
    expect(res.headers.get('www-authenticate')).toBe(
      'Webhook-Signature realm="relais-ingest"',
    );
  });

  it('agrees with the standardwebhooks library on what it admits', async () => {
    const now = new Date();
    const ingest = testIngest({ config: { webhookSecrets: [WHSEC] } });
    const headers = standardWebhookHeaders(goku, { at: now });
    expect(() => new Webhook(WHSEC).verify(goku, headers)).not.toThrow();
    const res = await viaApp(ingest.app, post(goku, headers));
    expect(res.status).toBe(202);
  });

  it('logs the reason, never the secret', async () => {
    const ingest = signed();
    await expectUnauthorized(ingest, sign(goku), '{"nom":"X","score":1}');
    expect(ingest.logs()).toContain('matches no secret');
    expect(ingest.logs()).not.toContain(WHSEC.slice(6));
  });

  it('refuses to start with a secret that is not base64', () => {
    expect(() => ingestWith({ webhookSecrets: ['whsec_!!!'] })).toThrow(
      /WEBHOOK_SECRETS item 1/,
    );
  });
});

describe('GitHub signatures', () => {
  const github = () =>
    ingestWith({ githubWebhookSecrets: ['next-secret', GITHUB_SECRET] });

  it('admits X-Hub-Signature-256 from a configured secret', async () => {
    await expectAccepted(github(), {
      'x-hub-signature-256': githubSignature(goku),
    });
  });

  it('admits upper-case hex', async () => {
    const hex = githubSignature(goku).slice('sha256='.length);
    await expectAccepted(github(), {
      'x-hub-signature-256': `sha256=${hex.toUpperCase()}`,
    });
  });

  it('admits every configured secret, for rotation', async () => {
    await expectAccepted(github(), {
      'x-hub-signature-256': githubSignature(goku, 'next-secret'),
    });
  });

  it.each([
    ['a wrong secret', githubSignature(goku, 'nope')],
    ['a signature of another body', githubSignature('{}')],
    ['a SHA-1 signature', `sha1=${'0'.repeat(40)}`],
    ['no sha256= prefix', githubSignature(goku).slice(7)],
    ['a short digest', githubSignature(goku).slice(0, -2)],
  ])('refuses %s', async (_, signature) => {
    await expectUnauthorized(github(), { 'x-hub-signature-256': signature });
  });
});

describe('with API keys and both signatures configured', () => {
  const all = () =>
    ingestWith({
      ingestApiKeys: [KEY],
      webhookSecrets: [WHSEC],
      githubWebhookSecrets: [GITHUB_SECRET],
    });

  it.each([
    ['an API key alone', { 'x-api-key': KEY }],
    [
      'a Standard Webhooks signature alone',
      standardWebhookHeaders(goku, { at: NOW }),
    ],
    [
      'a GitHub signature alone',
      { 'x-hub-signature-256': githubSignature(goku) },
    ],
    [
      'an API key and a good signature',
      { 'x-api-key': KEY, 'x-hub-signature-256': githubSignature(goku) },
    ],
  ])('admits %s (one valid)', async (_, headers) => {
    await expectAccepted(all(), headers);
  });

  it.each([
    [
      'a good API key with a forged signature',
      { 'x-api-key': KEY, 'x-hub-signature-256': githubSignature(goku, 'x') },
    ],
    [
      'a good signature with a wrong API key',
      {
        'x-api-key': 'wrong',
        ...standardWebhookHeaders(goku, { at: NOW }),
      },
    ],
    [
      'a good GitHub signature with a stale Standard Webhooks one',
      {
        'x-hub-signature-256': githubSignature(goku),
        ...standardWebhookHeaders(goku, { at: minutes(-10) }),
      },
    ],
  ])('refuses %s (none invalid)', async (_, headers) => {
    await expectUnauthorized(all(), headers);
  });

  it('refuses a request with no credential, offering both', async () => {
    const res = await expectUnauthorized(all(), {});
    expect(res.headers.get('www-authenticate')).toBe(
      'Bearer realm="relais-ingest", Webhook-Signature realm="relais-ingest"',
    );
  });
});

it('refuses a signature of a kind that is not configured', async () => {
  await expectUnauthorized(ingestWith({ ingestApiKeys: [KEY] }), {
    ...standardWebhookHeaders(goku, { at: NOW }),
    'x-hub-signature-256': githubSignature(goku),
  });
});

it('refuses to start in production without any credential', async () => {
  const config = loadConfig({
    K_SERVICE: 'ingest',
    PUBSUB_PROJECT_ID: 'relais-test',
  });
  await expect(buildIngest(config)).rejects.toThrow(/INGEST_API_KEYS/);
});
