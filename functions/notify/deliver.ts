import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import { Webhook } from 'standardwebhooks';
import {
  type AddressPolicy,
  bareHost,
  checkCallbackHost,
  guardedLookup,
  type Resolve,
  UnsafeUrlError,
} from './safe-url.js';

/** One signed callback: where, with which secret, under which stable id. */
export interface Callback {
  url: string;
  secret: string;
  /** The `webhook-id`: the same for every attempt of one event. */
  webhookId: string;
  /** The JSON body, sent and signed byte for byte. */
  body: string;
}

export interface DeliverOptions {
  timeoutMs: number;
  policy: AddressPolicy;
  resolve: Resolve;
  now: () => Date;
}

export type DeliveryResult =
  | { ok: true; status: number }
  | { ok: false; gone: boolean; error: string };

const USER_AGENT = 'relais-notify/0.1';

/**
 * POSTs a callback signed per Standard Webhooks
 * (https://www.standardwebhooks.com/): `webhook-id`, `webhook-timestamp`
 * and `webhook-signature: v1,<base64 HMAC-SHA256 of id.timestamp.body>`.
 * Only a 2xx is a success. A redirect is not followed (its target escapes
 * the address checks) and counts as a failure, like any other status, a
 * refused address or no answer within `timeoutMs`. 410 Gone sets `gone`.
 * Never throws.
 */
export async function deliver(
  callback: Callback,
  options: DeliverOptions,
): Promise<DeliveryResult> {
  const url = new URL(callback.url);
  const timestamp = options.now();
  const signature = new Webhook(callback.secret).sign(
    callback.webhookId,
    timestamp,
    callback.body,
  );
  try {
    // Node connects to a literal address without calling `lookup`.
    if (isIP(bareHost(url)) !== 0) {
      await checkCallbackHost(url, options.policy, options.resolve);
    }
    const status = await post(
      url,
      callback.body,
      {
        'content-type': 'application/json',
        'user-agent': USER_AGENT,
        'webhook-id': callback.webhookId,
        'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)),
        'webhook-signature': signature,
      },
      options,
    );
    if (status >= 200 && status < 300) return { ok: true, status };
    const redirect = status >= 300 && status < 400;
    return {
      ok: false,
      gone: status === 410,
      error: redirect
        ? `answered ${status}; redirects are not followed`
        : `answered ${status}`,
    };
  } catch (err) {
    return { ok: false, gone: false, error: describe(err, options) };
  }
}

function post(
  url: URL,
  body: string,
  headers: Record<string, string>,
  options: DeliverOptions,
): Promise<number> {
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(url, {
      method: 'POST',
      headers: { ...headers, 'content-length': Buffer.byteLength(body) },
      lookup: guardedLookup(options.policy, options.resolve),
      // One connection per callback: a pooled socket would skip the
      // address check that runs as a connection is made.
      agent: false,
      signal: AbortSignal.timeout(options.timeoutMs),
    });
    req.on('response', (res) => {
      // The body is not read: only the status decides.
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end(body);
  });
}

function describe(err: unknown, options: DeliverOptions): string {
  if (err instanceof UnsafeUrlError) return `refused: ${err.message}`;
  const e = err as NodeJS.ErrnoException;
  if (e.name === 'TimeoutError' || e.name === 'AbortError') {
    return `no answer within ${options.timeoutMs} ms`;
  }
  return e.code ? `connection failed: ${e.code}` : 'connection failed';
}
