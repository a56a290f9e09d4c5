import { PubSub } from '@google-cloud/pubsub';
import type { Config } from './config.js';

/**
 * gRPC waits longer and longer between attempts to reach a server that is
 * down (1 s, then 1.6 times more each time, up to 120 s), and every client
 * in the process shares that wait. After an outage of half a minute,
 * Pub/Sub could be back for ten seconds or more before the next attempt,
 * and ingest would answer 503 all that time. Capped at 2 s, ingest is
 * publishing again before a sender honouring its `Retry-After: 5` retries.
 */
const MAX_RECONNECT_BACKOFF_MS = 2_000;

/**
 * A Pub/Sub client for the configured target: the emulator when
 * `emulatorHost` is set (plain-text gRPC, no credentials), real Pub/Sub with
 * Application Default Credentials otherwise. The project is always explicit
 * so a developer's gcloud default project is never picked up by accident.
 */
export function createPubSub(
  config: Pick<Config, 'projectId' | 'emulatorHost'>,
): PubSub {
  const common = {
    projectId: config.projectId,
    'grpc.max_reconnect_backoff_ms': MAX_RECONNECT_BACKOFF_MS,
  };
  if (config.emulatorHost) {
    return new PubSub({
      ...common,
      apiEndpoint: config.emulatorHost,
      emulatorMode: true,
      // Without it the auth layer asks the metadata server for the universe
      // domain: ~370 ms per client and a MetadataLookupWarning off Google
      // Cloud, for a value the emulator never uses.
      universeDomain: 'googleapis.com',
    });
  }
  return new PubSub(common);
}
