import type { MiddlewareHandler } from 'hono';
import { cors } from 'hono/cors';
import { ConfigError } from '../core/config.js';

/** An allowed origin that is not `scheme://host[:port]` or `*`. */
export class CorsOriginError extends ConfigError {
  override name = 'CorsOriginError';
}

function checkOrigin(origin: string, i: number): string {
  let canonical: string | undefined;
  try {
    canonical = new URL(origin).origin;
  } catch {
    canonical = undefined;
  }
  if (origin !== '*' && canonical !== origin) {
    throw new CorsOriginError(
      `CORS_ORIGINS item ${i + 1} is not an origin like https://app.example`,
    );
  }
  return origin;
}

/**
 * CORS for the configured origins, preflight included: browsers on those
 * origins may post with the headers ingest reads, and read the headers it
 * answers with. Undefined (no CORS headers at all) when none is
 * configured. `*` allows any origin. An origin is compared exactly, so
 * each must be written as the browser sends it (no path, no trailing /).
 */
export function corsFor(
  origins: readonly string[],
): MiddlewareHandler | undefined {
  if (origins.length === 0) return undefined;
  const allowed = origins.map(checkOrigin);
  return cors({
    origin: allowed.includes('*') ? '*' : allowed,
    allowMethods: ['GET', 'POST'],
    allowHeaders: [
      'Authorization',
      'Content-Type',
      'Idempotency-Key',
      'X-API-Key',
      'webhook-id',
      'webhook-signature',
      'webhook-timestamp',
      'X-Hub-Signature-256',
    ],
    exposeHeaders: ['Idempotent-Replayed', 'Retry-After', 'WWW-Authenticate'],
    maxAge: 600,
  });
}
