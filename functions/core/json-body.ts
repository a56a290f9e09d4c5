import type { Context } from 'hono';
import { Problem, problems } from './problem.js';

/**
 * True for `application/json` and any `+json` type, with or without
 * parameters such as `charset`.
 */
export function isJsonContentType(header: string | undefined): boolean {
  if (!header) return false;
  const type = header.split(';')[0]?.trim().toLowerCase() ?? '';
  return type === 'application/json' || /^application\/[^/]+\+json$/.test(type);
}

/**
 * Reads a JSON request body: 415 when the content type is not JSON, 400 when
 * the bytes are not JSON. Returns the decoded value and the raw text (which
 * signature checks need, byte for byte).
 */
export async function readJsonBody(
  c: Context,
): Promise<{ value: unknown; raw: string }> {
  if (!isJsonContentType(c.req.header('content-type'))) {
    throw new Problem(
      415,
      'unsupported-media-type',
      'Unsupported media type',
      'Send the body as application/json.',
    );
  }
  const raw = await c.req.text();
  try {
    return { value: JSON.parse(raw), raw };
  } catch (err) {
    throw problems.malformedJson(err);
  }
}
