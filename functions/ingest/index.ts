import { type Config, ConfigError } from '../core/config.js';
import { createLogger } from '../core/log.js';
import { createTopicPublisher } from '../core/publisher.js';
import { createPubSub } from '../core/pubsub.js';
import type { FunctionRuntime } from '../core/runtime.js';
import { createIngestApp } from './app.js';

/**
 * Wires ingest to real Pub/Sub (or the emulator) from configuration. In
 * production (`K_SERVICE` set) it refuses to start without any credential
 * configured: a public endpoint that publishes whatever it is sent.
 */
export async function buildIngest(config: Config): Promise<FunctionRuntime> {
  const credentials =
    config.ingestApiKeys.length +
    config.webhookSecrets.length +
    config.githubWebhookSecrets.length;
  if (config.production && credentials === 0) {
    throw new ConfigError(
      'ingest needs INGEST_API_KEYS, WEBHOOK_SECRETS or ' +
        'GITHUB_WEBHOOK_SECRETS in production',
    );
  }
  const log = createLogger({
    service: 'ingest',
    level: config.logLevel,
  });
  const publisher = createTopicPublisher(createPubSub(config), config.topic, {
    timeoutMs: config.publishTimeoutMs,
    maxBatchDelayMs: config.publishBatchDelayMs,
  });
  try {
    const app = createIngestApp({
      config,
      publisher,
      log,
      projectId: config.projectId,
    });
    return { app, close: () => publisher.close() };
  } catch (err) {
    await publisher.close();
    throw err;
  }
}
