import { createHmac, timingSafeEqual } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { ConfigError } from '../core/config.js';
import { isIdempotencyKey } from './idempotency.js';

/** A signature check's outcome; `reason` is for logs and never secret. */
export type Verdict = { ok: true } | { ok: false; reason: string };

/** Equal contents, in time independent of where they differ. */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && timingSafeEqual(a, b);
}

/** A secret that cannot be used; names its position, never its value. */
export class SecretError extends ConfigError {
  override name = 'SecretError';
}

/**
 * One signer per Standard Webhooks secret (`whsec_` then base64), built
 * once at start so that a bad secret stops ingest instead of failing every
 * request.
 */
export function standardWebhookSigners(secrets: readonly string[]): Webhook[] {
  return secrets.map((secret, i) => {
    try {
      return new Webhook(secret);
    } catch {
      throw new SecretError(
        `WEBHOOK_SECRETS item ${i + 1} is not a whsec_ base64 secret`,
      );
    }
  });
}

export interface StandardWebhookHeaders {
  id: string;
  timestamp: string;
  signature: string;
}

/**
 * Verifies a Standard Webhooks signature over the raw body bytes:
 * `v1,` + base64 HMAC-SHA256 of `id.timestamp.body`, computed by the
 * `standardwebhooks` library, compared in constant time with each
 * space-separated signature of the header, for every secret (rotation).
 *
 * `webhook-id` is required, as an idempotency key (1 to 255 printable
 * ASCII): without it the signed content is `.timestamp.body`, which binds
 * the body to no message, and the id is what tells a replay within the
 * tolerance from a new message.
 *
 * The timestamp check is ours: the library's `verify` fixes the tolerance
 * at 5 minutes and reads the wall clock, and ours must be configurable and
 * testable. https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md#verifying-webhook-authenticity
 */
export function verifyStandardWebhook(
  signers: readonly Webhook[],
  headers: StandardWebhookHeaders,
  body: Uint8Array,
  nowSeconds: number,
  toleranceSeconds: number,
): Verdict {
  if (headers.id === '') {
    return { ok: false, reason: 'webhook-id is missing' };
  }
  if (!isIdempotencyKey(headers.id)) {
    return {
      ok: false,
      reason: 'webhook-id is not 1 to 255 printable ASCII characters',
    };
  }
  if (!/^\d{1,12}$/.test(headers.timestamp)) {
    return { ok: false, reason: 'webhook-timestamp is not a Unix time' };
  }
  const timestamp = Number(headers.timestamp);
  if (nowSeconds - timestamp > toleranceSeconds) {
    return { ok: false, reason: 'webhook-timestamp is too old (replay?)' };
  }
  if (timestamp - nowSeconds > toleranceSeconds) {
    return { ok: false, reason: 'webhook-timestamp is in the future' };
  }
  const given = headers.signature
    .split(' ')
    .filter((s) => s.startsWith('v1,'))
    .map((s) => Buffer.from(s));
  if (given.length === 0) {
    return { ok: false, reason: 'webhook-signature has no v1 signature' };
  }
  const signedAt = new Date(timestamp * 1000);
  let match = false;
  for (const signer of signers) {
    const expected = Buffer.from(signer.sign(headers.id, signedAt, body));
    for (const candidate of given) {
      if (sameBytes(candidate, expected)) match = true;
    }
  }
  return match
    ? { ok: true }
    : { ok: false, reason: 'webhook-signature matches no secret' };
}

/** GitHub secrets as HMAC keys (GitHub uses the secret's UTF-8 bytes). */
export function githubKeys(secrets: readonly string[]): Buffer[] {
  return secrets.map((secret) => Buffer.from(secret, 'utf8'));
}

/**
 * Verifies GitHub's `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the
 * raw body>` against every secret, in constant time.
 * https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries
 */
export function verifyGithub(
  keys: readonly Buffer[],
  header: string,
  body: Uint8Array,
): Verdict {
  const hex = /^sha256=([0-9a-fA-F]{64})$/.exec(header.trim())?.[1];
  if (hex === undefined) {
    return { ok: false, reason: 'X-Hub-Signature-256 is not sha256=<hex>' };
  }
  const given = Buffer.from(hex, 'hex');
  let match = false;
  for (const key of keys) {
    const expected = createHmac('sha256', key).update(body).digest();
    if (sameBytes(given, expected)) match = true;
  }
  return match
    ? { ok: true }
    : { ok: false, reason: 'X-Hub-Signature-256 matches no secret' };
}
