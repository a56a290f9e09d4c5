import { createHash } from 'node:crypto';
import type { PersonnageInput } from '../core/personnage.js';

/**
 * The namespace of relais's event ids. Fixed for good: changing it would
 * give every retry a new event id and defeat deduplication.
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
 * What a request asks for, as one canonical string: the validated `nom` and
 * `score` as JSON in that order, so that the body's layout, field order and
 * unknown fields make no difference.
 */
export function canonicalPersonnage(personnage: PersonnageInput): string {
  return JSON.stringify({ nom: personnage.nom, score: personnage.score });
}

/**
 * The event id of a request with an idempotency key: a UUID v5 of the key
 * and the canonical personnage. A retry (same key, same personnage) gets
 * the same id before or after a restart, on any instance, so consumers that
 * deduplicate by id act once. A key reused for another personnage gets
 * another id, so the second body is a distinct event, never a copy that a
 * consumer would refuse as conflicting with the first.
 */
export function eventIdFor(key: string, personnage: PersonnageInput): string {
  // An idempotency key is printable ASCII: no newline inside it.
  const name = `${key}\n${canonicalPersonnage(personnage)}`;
  return uuidV5(name, EVENT_ID_NAMESPACE);
}
