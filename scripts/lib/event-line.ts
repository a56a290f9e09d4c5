import type { PersonnageEvent } from '../../functions/core/personnage.js';

/** `12:03:04.567` in UTC, or the input when it is not a date. */
export function clock(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toISOString().slice(11, 23);
}

/**
 * One event as a person reads it:
 * `2025-01-02T12:03:04.567Z  Naruto  85 expert  id 1b9d6bcd-...`.
 */
export function describeEvent(event: PersonnageEvent): string {
  return (
    `${event.receivedAt}  ${event.nom}  ${event.score} ${event.niveau}` +
    `  id ${event.id}`
  );
}
