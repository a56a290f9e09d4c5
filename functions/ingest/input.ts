import { type PersonnageInput, personnageInput } from '../core/personnage.js';
import { fieldErrors, problems } from '../core/problem.js';

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
  const parsed = personnageInput.safeParse(value);
  if (!parsed.success) {
    throw problems.validation(
      'The personnage is not valid.',
      fieldErrors(parsed.error),
    );
  }
  return parsed.data;
}
