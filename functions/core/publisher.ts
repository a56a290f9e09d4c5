import type { PubSub, Topic } from '@google-cloud/pubsub';

/** One message to publish: bytes and string attributes. */
export interface OutgoingMessage {
  data: Buffer;
  attributes: Record<string, string>;
}

/** The seam between ingest and Pub/Sub; tests may pass their own. */
export interface Publisher {
  /** Resolves with the server-assigned messageId once Pub/Sub has it. */
  publish(message: OutgoingMessage): Promise<string>;
  close(): Promise<void>;
}

/**
 * Pub/Sub could not take the message in time, or refused it. The request
 * should be retried later; the caller answers 503 with `Retry-After`.
 */
export class PublishUnavailableError extends Error {
  override name = 'PublishUnavailableError';
}

export interface TopicPublisherOptions {
  /** Upper bound on one publish; a wrong emulator port hangs otherwise. */
  timeoutMs: number;
  /**
   * Flush a batch after this many milliseconds (default 1; the client's
   * own default is 10). A batch also goes out once it holds 100 messages.
   */
  maxBatchDelayMs?: number;
}

/**
 * Publishes to one topic. Every publish is bounded by `timeoutMs`: the
 * client retries an unreachable server for minutes, and a webhook sender
 * must get an answer long before that. A publish that times out here may
 * still reach Pub/Sub later; that copy carries the same event id, so the
 * subscribers' deduplication absorbs it.
 */
export function createTopicPublisher(
  pubsub: PubSub,
  topicName: string,
  options: TopicPublisherOptions,
): Publisher {
  const topic: Topic = pubsub.topic(topicName, {
    batching: {
      maxMessages: 100,
      maxMilliseconds: options.maxBatchDelayMs ?? 1,
    },
    gaxOpts: { timeout: options.timeoutMs },
  });
  return {
    async publish(message) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(
              new PublishUnavailableError(
                `no answer from Pub/Sub within ${options.timeoutMs} ms`,
              ),
            ),
          options.timeoutMs,
        );
      });
      try {
        return await Promise.race([topic.publishMessage(message), timeout]);
      } catch (err) {
        if (err instanceof PublishUnavailableError) throw err;
        throw new PublishUnavailableError('Pub/Sub refused the publish', {
          cause: err,
        });
      } finally {
        clearTimeout(timer);
      }
    },
    async close() {
      await topic.flush().catch(() => undefined);
      await pubsub.close();
    },
  };
}
