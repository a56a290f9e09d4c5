import { createHmac } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import type { Hono } from 'hono';
import { Webhook } from 'standardwebhooks';
import { expect } from 'vitest';
import { createLogger, silentLogger } from '../../functions/core/log.js';
import type {
  OutgoingMessage,
  Publisher,
} from '../../functions/core/publisher.js';
import {
  createIngestApp,
  type IngestDeps,
} from '../../functions/ingest/app.js';

export const WEBHOOK_PATH = '/webhook/personnage';

/** A request as bytes on the wire: what a test sends to any entry point. */
export interface RawRequest {
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
  /** Sent in two chunks without Content-Length (Transfer-Encoding). */
  chunked?: boolean;
}

export interface RawResponse {
  status: number;
  headers: Headers;
  text: string;
}

export const bytes = (body: string | Uint8Array | undefined) =>
  typeof body === 'string' ? Buffer.from(body) : Buffer.from(body ?? []);

/** A JSON POST to the webhook, with extra headers. */
export function post(
  body: string | Uint8Array,
  headers: Record<string, string> = {},
): RawRequest {
  return {
    body,
    headers: { 'content-type': 'application/json', ...headers },
  };
}

/** The personnage of `goku`, as ingest validates it. */
export const GOKU = { nom: 'Son Goku', score: 95 };
export const goku = JSON.stringify(GOKU);

/** Sends through `app.request()`: the Fetch API, no socket. */
export async function viaApp(app: Hono, req: RawRequest): Promise<RawResponse> {
  const body = req.body === undefined ? undefined : bytes(req.body);
  const init: RequestInit & { duplex?: 'half' } = {
    method: req.method ?? 'POST',
    headers: req.headers,
  };
  if (body !== undefined && req.chunked) {
    init.body = new ReadableStream({
      start(controller) {
        const half = Math.floor(body.length / 2);
        controller.enqueue(body.subarray(0, half));
        controller.enqueue(body.subarray(half));
        controller.close();
      },
    });
    init.duplex = 'half';
  } else if (body !== undefined) {
    init.body = body;
  }
  const res = await app.request(req.path ?? WEBHOOK_PATH, init);
  return { status: res.status, headers: res.headers, text: await res.text() };
}

/** Sends over a real socket with node:http, bytes exactly as given. */
export function viaHttp(base: string, req: RawRequest): Promise<RawResponse> {
  const body = req.body === undefined ? undefined : bytes(req.body);
  const headers: Record<string, string> = { ...req.headers };
  if (body !== undefined && !req.chunked) {
    headers['content-length'] ??= String(body.length);
  }
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(
      new URL(req.path ?? WEBHOOK_PATH, base),
      { method: req.method ?? 'POST', headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const answer = new Headers();
          for (const [name, value] of Object.entries(res.headers)) {
            if (typeof value === 'string') answer.set(name, value);
            else if (value) answer.set(name, value.join(', '));
          }
          resolve({
            status: res.statusCode ?? 0,
            headers: answer,
            text: Buffer.concat(chunks).toString('utf8'),
          });
        });
      },
    );
    // A server may answer (413, 415) before it reads the body; the
    // answer is what counts, not a reset while the rest is written.
    outgoing.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE' && err.code !== 'ECONNRESET') reject(err);
    });
    if (body !== undefined && req.chunked) {
      const half = Math.floor(body.length / 2);
      outgoing.write(body.subarray(0, half));
      outgoing.end(body.subarray(half));
    } else {
      outgoing.end(body);
    }
  });
}

/**
 * Asserts an RFC 9457 problem: the content type, the members, the status
 * and `urn:relais:problem:<slug>`, and nothing internal in the text.
 */
export function expectProblem(
  res: RawResponse,
  status: number,
  slug: string,
): Record<string, unknown> {
  expect(res.headers.get('content-type')).toBe('application/problem+json');
  const body = JSON.parse(res.text) as Record<string, unknown>;
  expect(body).toMatchObject({
    type: `urn:relais:problem:${slug}`,
    status,
    title: expect.any(String),
    detail: expect.any(String),
  });
  expect(res.status).toBe(status);
  expect(res.text).not.toMatch(/\bat .+:\d+|node_modules|<html|Error:/i);
  return body;
}

export type PublishBehaviour = 'ok' | 'hang' | 'fail';

/** A Publisher that records what it is asked to publish. */
export interface RecordingPublisher extends Publisher {
  messages: OutgoingMessage[];
  behaviour: PublishBehaviour;
  /** Publishes started, whatever became of them. */
  calls: number;
}

export function recordingPublisher(
  behaviour: PublishBehaviour = 'ok',
): RecordingPublisher {
  const publisher: RecordingPublisher = {
    messages: [],
    behaviour,
    calls: 0,
    async publish(message) {
      publisher.calls++;
      if (publisher.behaviour === 'hang') return new Promise<never>(() => {});
      if (publisher.behaviour === 'fail') throw new Error('UNAVAILABLE');
      // Let concurrent requests overlap, as a real publish would.
      await new Promise((resolve) => setTimeout(resolve, 5));
      publisher.messages.push(message);
      return `message-${publisher.messages.length}`;
    },
    async close() {},
  };
  return publisher;
}

/** The events a recording publisher has received, decoded. */
export function publishedEvents(publisher: RecordingPublisher) {
  return publisher.messages.map(
    (m) => JSON.parse(m.data.toString('utf8')) as Record<string, unknown>,
  );
}

/** Ingest with a recording publisher and test defaults. */
export function testIngest(
  options: Partial<Omit<IngestDeps, 'config'>> & {
    config?: Partial<IngestDeps['config']>;
  } = {},
) {
  const publisher =
    (options.publisher as RecordingPublisher | undefined) ??
    recordingPublisher();
  const app = createIngestApp({
    log: silentLogger,
    ...options,
    publisher,
    config: { topic: 'personnages', publishTimeoutMs: 200, ...options.config },
  });
  return { app, publisher };
}

/** A Standard Webhooks secret: `whsec_` and base64 of 32 bytes. */
export const WHSEC = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
export const WHSEC_NEXT = `whsec_${Buffer.alloc(32, 9).toString('base64')}`;
export const GITHUB_SECRET = 'github-secret-for-tests';

/** Standard Webhooks headers for `body`, signed with `secret`. */
export function standardWebhookHeaders(
  body: string | Uint8Array,
  options: { secret?: string; id?: string; at?: Date } = {},
): Record<string, string> {
  const id = options.id ?? 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W';
  const at = options.at ?? new Date();
  const signature = new Webhook(options.secret ?? WHSEC).sign(
    id,
    at,
    bytes(body),
  );
  return {
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': signature,
  };
}

/** GitHub's `X-Hub-Signature-256` for `body`. */
export function githubSignature(
  body: string | Uint8Array,
  secret = GITHUB_SECRET,
): string {
  const hex = createHmac('sha256', secret).update(bytes(body)).digest('hex');
  return `sha256=${hex}`;
}

/** A real ingest logger whose lines a test can read. */
export function logSink() {
  const lines: string[] = [];
  const log = createLogger({
    service: 'ingest',
    destination: { write: (line: string) => lines.push(line) },
  });
  return { log, text: () => lines.join('') };
}
