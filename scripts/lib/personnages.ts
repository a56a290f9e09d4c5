import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import {
  type PersonnageInput,
  personnageInput,
} from '../../functions/core/personnage.js';

const BUILT_IN = new URL('../data/personnages.json', import.meta.url);

/**
 * Reads personnages from a JSON array or an NDJSON file (one object a line),
 * or the built-in data set when no file is given. Each must be valid: a
 * script that loads a test set should not quietly send garbage.
 */
export async function loadPersonnages(
  file?: string,
): Promise<PersonnageInput[]> {
  const text = await readFile(file ?? BUILT_IN, 'utf8');
  const trimmed = text.trim();
  let values: unknown[];
  try {
    values = trimmed.startsWith('[')
      ? z.array(z.unknown()).parse(JSON.parse(trimmed))
      : trimmed
          .split('\n')
          .filter((line) => line.trim() !== '')
          .map((line) => JSON.parse(line) as unknown);
  } catch (err) {
    throw new Error(
      `${file}: not a JSON array nor NDJSON (${(err as Error).message})`,
    );
  }
  if (values.length === 0) throw new Error(`${file}: no personnages in it`);
  return values.map((value, i) => {
    const parsed = personnageInput.safeParse(value);
    if (!parsed.success) {
      throw new Error(
        `${file ?? 'data set'}: entry ${i + 1} is not a personnage: ` +
          parsed.error.issues.map((x) => x.message).join('; '),
      );
    }
    return parsed.data;
  });
}
