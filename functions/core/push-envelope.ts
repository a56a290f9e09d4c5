import { z } from 'zod';

/**
 * The body Pub/Sub POSTs to a push endpoint.
 * https://cloud.google.com/pubsub/docs/push#receive_push
 *
 * Both spellings of the id and publish time are accepted (`messageId` and
 * `message_id`): the service sends both, the emulator may send fewer. Only
 * the id is required; unknown fields pass, so a new field from Google never
 * turns every push into a failure. The emulator sends no `deliveryAttempt`.
 */
const envelopeSchema = z.object({
  message: z
    .looseObject({
      data: z.base64().optional(),
      attributes: z.record(z.string(), z.string()).optional(),
      messageId: z.string().min(1).optional(),
      message_id: z.string().min(1).optional(),
      publishTime: z.string().optional(),
      publish_time: z.string().optional(),
      orderingKey: z.string().optional(),
    })
    .refine((m) => m.messageId ?? m.message_id, {
      message: 'message.messageId is required',
      path: ['messageId'],
    }),
  subscription: z.string().min(1),
  deliveryAttempt: z.number().int().positive().optional(),
});

/** A decoded push: the message's bytes and metadata, one spelling each. */
export interface PushMessage {
  messageId: string;
  publishTime: string | undefined;
  attributes: Record<string, string>;
  data: Buffer;
  subscription: string;
  deliveryAttempt: number | undefined;
}

export type EnvelopeResult =
  | { ok: true; message: PushMessage }
  | { ok: false; error: z.ZodError };

/** Parses an already JSON-decoded push body. */
export function parsePushEnvelope(body: unknown): EnvelopeResult {
  const parsed = envelopeSchema.safeParse(body);
  if (!parsed.success) return { ok: false, error: parsed.error };
  const { message, subscription, deliveryAttempt } = parsed.data;
  return {
    ok: true,
    message: {
      // The refine above guarantees one of the two spellings.
      messageId: (message.messageId ?? message.message_id) as string,
      publishTime: message.publishTime ?? message.publish_time,
      attributes: message.attributes ?? {},
      data: Buffer.from(message.data ?? '', 'base64'),
      subscription,
      deliveryAttempt,
    },
  };
}
