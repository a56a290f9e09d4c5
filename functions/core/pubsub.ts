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
    });
  }
  return new PubSub({ projectId: config.projectId });
}
