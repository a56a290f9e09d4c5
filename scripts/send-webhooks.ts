/**
 * Sends personnages to ingest over HTTP, as a webhook sender would.
 * `npm run send -- --count 100 --concurrency 10 --rate 50 --sign`
 */
import { randomUUID } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { z } from 'zod';
import { loadConfig } from '../functions/core/config.js';
import {
  loadCount,
  loadFlags,
  loadSchema,
  parseCommandLine,
  runMain,
  UsageError,
} from './lib/args.js';
import { runLoad, summarize } from './lib/load-runner.js';
import { functionUrl } from './lib/local-run.js';
import { loadPersonnages } from './lib/personnages.js';

const USAGE = `usage: npm run send -- [options]
  -n, --count N         webhooks to send (default: each record of --file once,
                        else 10; a larger count goes round the records again)
  -c, --concurrency N   requests in flight (default 10)
  -r, --rate N          requests per second at most (default: no limit)
  -f, --file PATH       JSON array or NDJSON of {nom, score} (default: built-in set)
      --url URL         ingest endpoint (default http://127.0.0.1:$INGEST_PORT/webhook/personnage)
      --sign            sign with Standard Webhooks (needs WEBHOOK_SECRETS)
      --api-key KEY     send X-API-Key (default: first of INGEST_API_KEYS)
      --no-progress     no progress bar`;

async function main(): Promise<void> {
  const config = loadConfig();
  const args = parseCommandLine(
    process.argv.slice(2),
    {
      ...loadFlags,
      url: { type: 'string' },
      sign: { type: 'boolean', default: false },
      'api-key': { type: 'string' },
    },
    loadSchema.extend({
      url: z.url({ protocol: /^https?$/ }).optional(),
      sign: z.boolean(),
      'api-key': z.string().optional(),
    }),
  );
  if (args.help) {
    console.log(USAGE);
    return;
  }
  const url = args.url ?? `${functionUrl(config, 'ingest')}/webhook/personnage`;
  const secret = config.webhookSecrets[0];
  if (args.sign && !secret) {
    throw new UsageError('--sign needs a secret in WEBHOOK_SECRETS');
  }
  const signer = args.sign && secret ? new Webhook(secret) : undefined;
  const apiKey = args['api-key'] ?? config.ingestApiKeys[0];
  const personnages = await loadPersonnages(args.file);

  await probe(url);
  const result = await runLoad(
    {
      count: loadCount(args, personnages.length),
      concurrency: args.concurrency,
      rate: args.rate,
      progress: !args['no-progress'] && process.stderr.isTTY === true,
    },
    async (i) => {
      const body = JSON.stringify(personnages[i % personnages.length]);
      const headers: Record<string, string> = {
        'content-type': 'application/json',
      };
      if (apiKey) headers['x-api-key'] = apiKey;
      if (signer) {
        const id = `msg_${randomUUID()}`;
        const at = new Date();
        headers['webhook-id'] = id;
        headers['webhook-timestamp'] = String(Math.floor(at.getTime() / 1000));
        headers['webhook-signature'] = signer.sign(id, at, body);
      }
      // A hung ingest must not hang the run: 30 s is far past its own
      // publish timeout.
      const res = await fetch(url, {
        method: 'POST',
        headers,
        body,
        signal: AbortSignal.timeout(30_000),
      });
      await res.arrayBuffer();
      return { status: res.status };
    },
  );
  console.log(`to ${url}`);
  console.log(summarize(result, [202]));
  if (result.sent !== (result.byStatus.get(202) ?? 0)) process.exitCode = 1;
}

/** Fails with a useful message when nothing listens at the URL. */
async function probe(url: string): Promise<void> {
  const healthz = new URL('/healthz', url);
  try {
    await fetch(healthz, { signal: AbortSignal.timeout(3_000) });
  } catch (err) {
    const code = (err as { cause?: { code?: string } }).cause?.code;
    throw new Error(
      `cannot reach ${healthz.origin} (${code ?? (err as Error).message}); ` +
        'is ingest running? Start the pipeline with npm start.',
    );
  }
}

runMain(USAGE, main);
