import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { ConfigError, MAX_IDEMPOTENCY_KEYS } from '../core/config.js';
import type { PersonnageInput } from '../core/personnage.js';
import { Problem } from '../core/problem.js';
import { canonicalPersonnage } from './event-id.js';

/** Set to `true` on an answer that repeats an earlier one. */
export const REPLAYED_HEADER = 'Idempotent-Replayed';

const KEY = /^[\x21-\x7e](?:[\x20-\x7e]{0,253}[\x21-\x7e])?$/;

/**
 * Whether `text` can be an idempotency key: 1 to 255 printable ASCII
 * characters, not starting or ending with a space. A `webhook-id` must be
 * one to be signed, so that a verified request never fails here later.
 */
export const isIdempotencyKey = (text: string): boolean => KEY.test(text);

const invalidKey = (header: string) =>
  new Problem(
    400,
    'invalid-idempotency-key',
    'Invalid idempotency key',
    `${header} must be 1 to 255 printable ASCII characters.`,
  );

/**
 * The request's idempotency key: Standard Webhooks' `webhook-id` when
 * present, else `Idempotency-Key` (bare, or quoted as the IETF draft's
 * structured-field string). `webhook-id` wins because the signature covers
 * it and not `Idempotency-Key`: a captured signed request replayed within
 * the tolerance under a fresh `Idempotency-Key` must still be a replay.
 * 400 when the key is not 1 to 255 printable ASCII characters.
 * https://datatracker.ietf.org/doc/draft-ietf-httpapi-idempotency-key-header/
 */
export function idempotencyKeyOf(headers: Headers): string | undefined {
  const webhookId = headers.get('webhook-id');
  if (webhookId !== null) {
    if (!KEY.test(webhookId.trim())) throw invalidKey('webhook-id');
    return webhookId.trim();
  }
  const explicit = headers.get('idempotency-key');
  if (explicit !== null) {
    const quoted = /^"(.*)"$/.exec(explicit.trim());
    const key = quoted?.[1] ?? explicit.trim();
    if (!KEY.test(key)) throw invalidKey('Idempotency-Key');
    return key;
  }
  return undefined;
}

/**
 * An idempotency key within the scope of its sender (a `Principal` of
 * auth.ts), so that senders of different kinds never share a key. The
 * scope has no space and the key is printable ASCII: the result is
 * unambiguous.
 */
export function scopedKey(scope: string, key: string): string {
  return `${scope} ${key}`;
}

/** A digest of what a request asks for, to tell a retry from a reuse. */
export function fingerprint(personnage: PersonnageInput): string {
  return createHash('sha256')
    .update(canonicalPersonnage(personnage))
    .digest('hex');
}

export interface IdempotencyOptions {
  /** Keys remembered at most; the least recently used go first. */
  maxKeys: number;
  /** How long an accepted key is remembered, in milliseconds. */
  ttlMs: number;
}

interface Remembered {
  fingerprint: string;
  /** The body of the 202 answer, as sent. */
  body: string;
}

/**
 * Runs the work of an idempotency key at most once per window, per
 * process. A key already accepted gets its first answer again; requests
 * arriving while its work runs wait for that same work; a key reused with
 * a different fingerprint is refused (422, as the IETF draft says). Only
 * successes are remembered: after a failure, the next request with the key
 * runs the work anew.
 *
 * Memory is bounded by `maxKeys` (plus the requests in flight). The window
 * is per instance and lost on restart. Beyond it, the event id derived
 * from the key and the personnage (`eventIdFor`) is what lets consumers
 * deduplicate a retry, and what keeps a reused key's new body a distinct
 * event where this 422 cannot be given.
 */
export class IdempotencyStore {
  private readonly done: LRUCache<string, Remembered>;
  private readonly running = new Map<
    string,
    { fingerprint: string; body: Promise<string> }
  >();

  constructor(options: IdempotencyOptions) {
    if (options.maxKeys > MAX_IDEMPOTENCY_KEYS) {
      throw new ConfigError(
        `IDEMPOTENCY_MAX_KEYS must be at most ${MAX_IDEMPOTENCY_KEYS}`,
      );
    }
    this.done = new LRUCache({ max: options.maxKeys, ttl: options.ttlMs });
  }

  async once(
    key: string,
    print: string,
    work: () => Promise<string>,
  ): Promise<{ body: string; replayed: boolean }> {
    const earlier = this.done.get(key) ?? this.running.get(key);
    if (earlier) {
      if (earlier.fingerprint !== print) throw reused();
      return { body: await earlier.body, replayed: true };
    }
    const body = work();
    this.running.set(key, { fingerprint: print, body });
    try {
      const answer = await body;
      this.done.set(key, { fingerprint: print, body: answer });
      return { body: answer, replayed: false };
    } finally {
      this.running.delete(key);
    }
  }

  /** Keys remembered now (for tests and metrics). */
  get size(): number {
    return this.done.size;
  }
}

function reused(): Problem {
  return new Problem(
    422,
    'idempotency-key-reused',
    'Idempotency key reused',
    'This idempotency key was already used for a different body.',
  );
}
