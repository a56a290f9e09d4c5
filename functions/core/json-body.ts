import type { Context } from 'hono';
import { assertJsonEntity } from './media.js';
import { problems } from './problem.js';

/**
 * Reads a JSON request body: 415 when it is not a UTF-8, uncompressed JSON
 * entity (the same rule as ingest's, see media.ts), 400 when
 * the bytes are not JSON. Returns the decoded value and the raw text (which
 * signature checks need, byte for byte).
 */
export async function readJsonBody(
  c: Context,
): Promise<{ value: unknown; raw: string }> {
  assertJsonEntity(c);
  const raw = await c.req.text();
  try {
    return { value: JSON.parse(raw), raw };
  } catch (err) {
    throw problems.malformedJson(err);
  }
}
