import { z } from 'zod';

/** The niveaux, from lowest to highest score band. */
export const NIVEAUX = [
  'débutant',
  'intermédiaire',
  'expert',
  'légendaire',
] as const;

export type Niveau = (typeof NIVEAUX)[number];

/**
 * The niveau of a score: below 50 débutant, 50 to 79 intermédiaire,
 * 80 to 89 expert, 90 and above légendaire.
 */
export function niveauOf(score: number): Niveau {
  if (score >= 90) return 'légendaire';
  if (score >= 80) return 'expert';
  if (score >= 50) return 'intermédiaire';
  return 'débutant';
}

/**
 * What a sender posts to `/webhook/personnage`. Unknown keys are dropped,
 * so a sender may add fields of its own without being refused. `nom`'s 100
 * characters are Unicode code points (zod's string length): 😀 counts 1, a
 * family emoji joined by ZWJ counts 5.
 */
export const personnageInput = z.object({
  nom: z
    .string({ error: 'nom must be a string' })
    .trim()
    .min(1, 'nom must not be empty')
    .max(100, 'nom must be at most 100 characters')
    // A lone surrogate ("\ud800" is valid JSON) has no UTF-8 form, so
    // every consumer would store or send it differently.
    .refine(
      (nom) => !/\p{Cs}/u.test(nom),
      'nom must be well-formed Unicode (no lone surrogate)',
    ),
  score: z
    .number({ error: 'score must be a number' })
    .int('score must be an integer')
    .min(0, 'score must be between 0 and 100')
    .max(100, 'score must be between 0 and 100'),
});

export type PersonnageInput = z.infer<typeof personnageInput>;

/** The event type carried in the `eventType` attribute. */
export const PERSONNAGE_CREATED = 'personnage.created';

/**
 * The event published to the topic and read back by archive and notify:
 * the input, enriched with its niveau, an id and the time ingest took it.
 */
export const personnageEvent = z
  .object({
    // UUIDs compare without regard to case (RFC 9562): one spelling, so
    // that an id and its upper-case copy are the same event everywhere.
    id: z.uuid().transform((id) => id.toLowerCase()),
    type: z.literal(PERSONNAGE_CREATED),
    nom: personnageInput.shape.nom,
    score: personnageInput.shape.score,
    niveau: z.enum(NIVEAUX),
    receivedAt: z.iso.datetime({ offset: true }),
  })
  .refine((event) => event.niveau === niveauOf(event.score), {
    path: ['niveau'],
    message: 'niveau does not match the score',
  });

export type PersonnageEvent = z.infer<typeof personnageEvent>;

/** Enriches a valid input into the event that ingest publishes. */
export function toEvent(
  input: PersonnageInput,
  id: string,
  receivedAt: Date,
): PersonnageEvent {
  return {
    id,
    type: PERSONNAGE_CREATED,
    nom: input.nom,
    score: input.score,
    niveau: niveauOf(input.score),
    receivedAt: receivedAt.toISOString(),
  };
}
