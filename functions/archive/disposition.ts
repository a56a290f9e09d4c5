/**
 * How the push endpoint answers each outcome. For Pub/Sub the status is
 * the decision: 204 acknowledges, any other status is a nack that comes
 * back until the subscription's dead-letter policy moves the message to
 * the dead-letter topic (see PUBSUB-NOTES.md).
 *
 * - `archived`, `duplicate`: ack. A duplicate (same event id and content,
 *   whatever its messageId) is acknowledged only once the first copy is
 *   durable, so an ack never stands for data that could still be lost.
 * - `not-a-push` (400), `invalid-event` (422): refuse. The bytes can never
 *   become an entry; refusing lets the dead-letter topic keep them for
 *   inspection and replay after a fix, where an ack would drop them.
 * - `conflict` (409): refuse. The event id is archived with other content;
 *   the archive keeps the first copy and the dead-letter topic the second,
 *   so nothing is dropped and a human sees both.
 * - `storage-failed` (503): retry. The disk failed; Pub/Sub redelivers.
 */
export const PUSH_OUTCOMES = {
  archived: { status: 204, decision: 'archived', level: 'info' },
  duplicate: { status: 204, decision: 'duplicate', level: 'info' },
  'not-a-push': { status: 400, decision: 'rejected', level: 'warn' },
  'invalid-event': { status: 422, decision: 'rejected', level: 'error' },
  conflict: { status: 409, decision: 'rejected', level: 'error' },
  'storage-failed': { status: 503, decision: 'retry', level: 'error' },
} as const;

export type PushOutcome = keyof typeof PUSH_OUTCOMES;

/** The statuses Pub/Sub takes as an acknowledgement. */
export const ACK_STATUSES: readonly number[] = [102, 200, 201, 202, 204];
