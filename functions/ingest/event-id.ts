import { createHash } from 'node:crypto';

/**
 * The namespace of relais's event ids. Fixed for good: changing it would
 * give every idempotency key a new event id and defeat deduplication.
 */
export const EVENT_ID_NAMESPACE = '27c39a31-4a7a-43b8-b759-a235c0ab9139';

/**
 * A name-based UUID, version 5 (RFC 9562 §5.5, formerly RFC 4122 §4.3):
 * SHA-1 of the namespace's 16 bytes then the name's UTF-8 bytes, cut to
 * 16 bytes, with the version and variant bits set. The same name always
 * gives the same id, in any process, on any day.
 */
export function uuidV5(name: string, namespace: string): string {
  const ns = Buffer.from(namespace.replace(/-/g, ''), 'hex');
  if (ns.length !== 16) throw new TypeError('namespace is not a UUID');
  const bytes = createHash('sha1')
    .update(ns)
    .update(name, 'utf8')
    .digest()
    .subarray(0, 16);
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x50;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return [
    hex.slice(0, 8),
    hex.slice(8, 12),
    hex.slice(12, 16),
    hex.slice(16, 20),
    hex.slice(20),
  ].join('-');
}

/**
 * The event id for an idempotency key: every request that carries the key,
 * before or after an ingest restart, on any instance, publishes the same
 * id, so the archive (which deduplicates by event id) keeps one copy.
 */
export function eventIdForKey(key: string): string {
  return uuidV5(key, EVENT_ID_NAMESPACE);
}
