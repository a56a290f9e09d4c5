import { type PersonnageInput, personnageInput } from '../core/personnage.js';
import { fieldErrors, problems } from '../core/problem.js';

/**
 * The shared schema, plus one rule of ingest's: `nom` must be well-formed
 * Unicode. A lone surrogate (`"\ud800"` is valid JSON) has no UTF-8 form,
 * so every consumer would store or send it differently.
 *
 * `nom`'s limit of 100 characters counts Unicode code points (zod 4.6's
 * string length), as the shared event schema that archive and notify
 * enforce does: 😀 counts 1, but a family emoji joined by ZWJ counts 5
 * and a decomposed é counts 2. Counting graphemes here instead would let
 * through events that the subscribers then refuse as poison.
 */
const ingestInput = personnageInput.extend({
  nom: personnageInput.shape.nom.refine(
    (nom) => !/\p{Cs}/u.test(nom),
    'nom must be well-formed Unicode (no lone surrogate)',
  ),
});

/**
 * Validates a decoded body as a personnage: 422 with `errors` naming every
 * bad field, or with path `(body)` when the body is not a JSON object.
 * Unknown keys, `__proto__` and `constructor` included, are dropped.
 */
export function toPersonnageInput(value: unknown): PersonnageInput {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    const kind =
      value === null
        ? 'null'
        : Array.isArray(value)
          ? 'an array'
          : `a ${typeof value}`;
    throw problems.validation('The body must be a JSON object.', [
      { path: '(body)', message: `expected an object, got ${kind}` },
    ]);
  }
  const parsed = ingestInput.safeParse(value);
  if (!parsed.success) {
    throw problems.validation(
      'The personnage is not valid.',
      fieldErrors(parsed.error),
    );
  }
  return parsed.data;
}
