import { describe, expect, it } from 'vitest';
import {
  niveauOf,
  personnageEvent,
  personnageInput,
  toEvent,
} from '../../functions/core/personnage.js';

describe('niveauOf', () => {
  it.each([
    [0, 'débutant'],
    [49, 'débutant'],
    [50, 'intermédiaire'],
    [79, 'intermédiaire'],
    [80, 'expert'],
    [89, 'expert'],
    [90, 'légendaire'],
    [100, 'légendaire'],
  ])('gives score %i the niveau %s', (score, niveau) => {
    expect(niveauOf(score)).toBe(niveau);
  });
});

describe('personnageInput', () => {
  it('trims nom and keeps an integer score', () => {
    expect(personnageInput.parse({ nom: '  Naruto ', score: 85 })).toEqual({
      nom: 'Naruto',
      score: 85,
    });
  });

  it('drops unknown keys instead of refusing them', () => {
    expect(
      personnageInput.parse({ nom: 'Tom', score: 1, village: 'Konoha' }),
    ).toEqual({ nom: 'Tom', score: 1 });
  });

  it.each([
    [{ nom: '', score: 1 }, 'nom'],
    [{ nom: '   ', score: 1 }, 'nom'],
    [{ nom: 'x'.repeat(101), score: 1 }, 'nom'],
    [{ nom: 42, score: 1 }, 'nom'],
    [{ score: 1 }, 'nom'],
    [{ nom: 'Tom', score: 50.5 }, 'score'],
    [{ nom: 'Tom', score: -1 }, 'score'],
    [{ nom: 'Tom', score: 101 }, 'score'],
    [{ nom: 'Tom', score: '85' }, 'score'],
    [{ nom: 'Tom' }, 'score'],
  ])('refuses %j, naming %s', (body, field) => {
    const result = personnageInput.safeParse(body);
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => i.path[0])).toEqual([field]);
  });

  it('names every bad field at once', () => {
    const result = personnageInput.safeParse({ nom: '', score: 'x' });
    expect(result.error?.issues.map((i) => i.path[0]).sort()).toEqual([
      'nom',
      'score',
    ]);
  });

  it('accepts a nom of exactly 100 characters', () => {
    expect(
      personnageInput.safeParse({ nom: 'x'.repeat(100), score: 0 }).success,
    ).toBe(true);
  });
});

describe('toEvent', () => {
  it('enriches the input with id, type, niveau and time', () => {
    const at = new Date('2026-12-03T10:00:00Z');
    expect(toEvent({ nom: 'Sasuke', score: 95 }, 'id-1', at)).toEqual({
      id: 'id-1',
      type: 'personnage.created',
      nom: 'Sasuke',
      score: 95,
      niveau: 'légendaire',
      receivedAt: '2026-12-03T10:00:00.000Z',
    });
  });
});

describe('personnageEvent', () => {
  const event = toEvent(
    { nom: 'Naruto', score: 85 },
    '0b6e5f38-7f7c-4c1e-9a55-3f2b8f0d2c11',
    new Date('2026-12-03T10:00:00Z'),
  );

  it('accepts what toEvent makes', () => {
    expect(personnageEvent.parse(event)).toEqual(event);
  });

  it.each([
    ['a niveau that does not match the score', { niveau: 'légendaire' }],
    ['a lone surrogate in nom', { nom: 'Na\ud800ruto' }],
    ['an id that is not a UUID', { id: 'evt-1' }],
  ])('refuses %s', (_, change) => {
    expect(personnageEvent.safeParse({ ...event, ...change }).success).toBe(
      false,
    );
  });
});
