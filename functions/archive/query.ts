import { z } from 'zod';
import { NIVEAUX } from '../core/personnage.js';
import { fieldErrors, problems } from '../core/problem.js';
import type { ListQuery } from './entry.js';

/** Page size when `limit` is absent, and the largest one allowed. */
export const DEFAULT_LIMIT = 100;
export const MAX_LIMIT = 1000;

function integer(name: string, min: number, max: number) {
  const range = `${name} must be an integer from ${min} to ${max}`;
  return z
    .string()
    .regex(/^\d{1,7}$/, range)
    .transform(Number)
    .pipe(z.number().min(min, range).max(max, range));
}

const listQuerySchema = z.object({
  limit: integer('limit', 1, MAX_LIMIT).default(DEFAULT_LIMIT),
  cursor: z
    .string()
    .min(1, 'cursor must not be empty')
    .max(64, 'cursor is not one this archive handed out')
    .optional(),
  niveau: z
    .enum(NIVEAUX, { error: `niveau must be one of ${NIVEAUX.join(', ')}` })
    .optional(),
  minScore: integer('minScore', 0, 100).optional(),
});

/**
 * Parses the query of `GET /personnages`: `limit` (1 to 1000, default
 * 100), `cursor` (opaque), `niveau` and `minScore` (0 to 100). Unknown
 * parameters are ignored. Throws a 422 problem naming each bad parameter.
 */
export function parseListQuery(query: Record<string, string>): ListQuery {
  const parsed = listQuerySchema.safeParse(query);
  if (!parsed.success) {
    throw problems.validation(
      'The query parameters are not valid.',
      fieldErrors(parsed.error),
    );
  }
  return parsed.data;
}
