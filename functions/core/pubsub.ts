import { PubSub } from '@google-cloud/pubsub';
import type { Config } from './config.js';

/**
 * A Pub/Sub client for the configured target: the emulator when
 * `emulatorHost` is set (plain-text gRPC, no credentials), real Pub/Sub with
 * Application Default Credentials otherwise. The project is always explicit
 * so a developer's gcloud default project is never picked up by accident.
 */
export function createPubSub(
  config: Pick<Config, 'projectId' | 'emulatorHost'>,
): PubSub {
  if (config.emulatorHost) {
    return new PubSub({
      projectId: config.projectId,
      apiEndpoint: config.emulatorHost,
      emulatorMode: true,
      // Without it the auth layer asks the metadata server for the universe
      // domain: ~370 ms per client and a MetadataLookupWarning off Google
      // Cloud, for a value the emulator never uses.
      universeDomain: 'googleapis.com',
    });
  }
  return new PubSub({ projectId: config.projectId });
}
