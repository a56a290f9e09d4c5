import { z } from 'zod';

/**
 * A whole number from min to max, written in decimal digits and nothing
 * else, as settings and command-line options are. Number() alone would
 * also take `1e3`, `0x10`, `0b11`, `+5` and blanks around the digits.
 */
export const wholeNumber = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, 'must be a whole number in decimal digits')
    .transform(Number)
    .pipe(z.number().min(min).max(max).int());

/** A number above zero in decimal digits, with an optional fraction. */
export const positiveDecimal = () =>
  z
    .string()
    .regex(/^\d+(\.\d+)?$/, 'must be a number in decimal digits, like 2.5')
    .transform(Number)
    .pipe(z.number().positive());
