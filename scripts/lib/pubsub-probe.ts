import type { PubSub } from '@google-cloud/pubsub';
import type { Config } from '../../functions/core/config.js';

/**
 * Fails fast, with the fix in the message, when the emulator is not up or
 * the topic does not exist: the client would otherwise hang on a dead port.
 */
export async function ensureTopicReachable(
  pubsub: PubSub,
  config: Pick<Config, 'emulatorHost' | 'projectId'>,
  topic: string,
): Promise<void> {
  if (config.emulatorHost) {
    const ok = await fetch(`http://${config.emulatorHost}/`, {
      signal: AbortSignal.timeout(3_000),
    })
      .then((res) => res.ok)
      .catch(() => false);
    if (!ok) {
      throw new Error(
        `no Pub/Sub emulator at ${config.emulatorHost}; ` +
          'start it with npm start or npm run emulator ' +
          '(or set PUBSUB_EMULATOR_HOST)',
      );
    }
  }
  const [exists] = await pubsub.topic(topic).exists();
  if (!exists) {
    throw new Error(
      `topic ${topic} does not exist in project ${config.projectId}; ` +
        'npm start and npm run emulator create it',
    );
  }
}
