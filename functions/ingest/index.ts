import type { Config } from '../core/config.js';
import { createLogger } from '../core/log.js';
import { createTopicPublisher } from '../core/publisher.js';
import { createPubSub } from '../core/pubsub.js';
import type { FunctionRuntime } from '../core/runtime.js';
import { createIngestApp } from './app.js';

/** Wires ingest to real Pub/Sub (or the emulator) from configuration. */
export async function buildIngest(config: Config): Promise<FunctionRuntime> {
  const log = createLogger({
    service: 'ingest',
    projectId: config.projectId,
    level: config.logLevel,
  });
  const publisher = createTopicPublisher(createPubSub(config), config.topic, {
    timeoutMs: config.publishTimeoutMs,
  });
  const app = createIngestApp({ config, publisher, log });
  return { app, close: () => publisher.close() };
}
