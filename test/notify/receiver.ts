import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import { Webhook } from 'standardwebhooks';
import { listenOnFreePort } from '../harness/index.js';

/** One callback a receiver got. */
export interface ReceivedCall {
  headers: IncomingHttpHeaders;
  body: string;
}

export interface Receiver {
  /** `http://127.0.0.1:<port>/hook` */
  url: string;
  calls: ReceivedCall[];
  /** The callbacks that answered 2xx. */
  accepted(): ReceivedCall[];
  /** The event ids of the accepted callbacks, verified with `secret`. */
  verifiedEventIds(secret: string): string[];
  close(): Promise<void>;
}

export interface ReceiverOptions {
  /** The status of the n-th call (1-based); 204 by default. */
  status?: (call: number) => number;
  /** How long to wait before answering. */
  delayMs?: number;
}

/**
 * A real HTTP subscriber on a free port of 127.0.0.1, recording every
 * call. Closed when the test (or file) finishes.
 */
export async function startReceiver(
  options: ReceiverOptions = {},
): Promise<Receiver> {
  const status = options.status ?? (() => 204);
  const calls: ReceivedCall[] = [];
  const statuses: number[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      calls.push({
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      });
      const code = status(calls.length);
      statuses.push(code);
      setTimeout(() => {
        const redirect = code >= 300 && code < 400;
        res.writeHead(code, redirect ? { location: '/elsewhere' } : {});
        res.end();
      }, options.delayMs ?? 0);
    });
  });
  const { port, close } = await listenOnFreePort(server);
  const accepted = () =>
    calls.filter(
      (_, i) => (statuses[i] ?? 0) >= 200 && (statuses[i] ?? 0) < 300,
    );
  return {
    url: `http://127.0.0.1:${port}/hook`,
    calls,
    accepted,
    verifiedEventIds(secret) {
      const webhook = new Webhook(secret);
      return accepted().map((call) => {
        const payload = webhook.verify(call.body, {
          'webhook-id': String(call.headers['webhook-id']),
          'webhook-timestamp': String(call.headers['webhook-timestamp']),
          'webhook-signature': String(call.headers['webhook-signature']),
        }) as { data: { id: string } };
        return payload.data.id;
      });
    },
    close,
  };
}
