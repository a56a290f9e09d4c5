import { z } from 'zod';
import { wholeNumber } from '../../functions/core/number-text.js';
import {
  NIVEAUX,
  type Niveau,
  type PersonnageEvent,
} from '../../functions/core/personnage.js';

/** Which events a replay takes; every field is optional. */
export interface Selection {
  /** Only events ingest received at or after this instant. */
  since?: Date | undefined;
  niveau?: Niveau | undefined;
  /** At most this many, the oldest first. */
  limit?: number | undefined;
}

/** The `--since`, `--niveau` and `--limit` options, validated. */
export const selectionOptions = {
  since: z
    .string()
    .regex(
      /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/,
      'must be an ISO 8601 date or date-time, e.g. 2025-06-01T12:00:00Z',
    )
    .transform((s) => new Date(s))
    .refine((d) => !Number.isNaN(d.getTime()), 'is not a real date')
    .optional(),
  niveau: z
    .enum(NIVEAUX, { error: `must be one of ${NIVEAUX.join(', ')}` })
    .optional(),
  limit: wholeNumber(1, 10_000_000).optional(),
};

/** True when `event` passes the filters (the limit is not a filter). */
export function matches(event: PersonnageEvent, selection: Selection): boolean {
  if (selection.niveau && event.niveau !== selection.niveau) return false;
  if (selection.since && new Date(event.receivedAt) < selection.since) {
    return false;
  }
  return true;
}

/** The events that pass the filters, up to the limit, in their order. */
export function select(
  events: readonly PersonnageEvent[],
  selection: Selection,
): PersonnageEvent[] {
  const chosen = events.filter((e) => matches(e, selection));
  return selection.limit === undefined
    ? chosen
    : chosen.slice(0, selection.limit);
}
