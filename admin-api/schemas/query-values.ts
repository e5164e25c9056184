import { z } from 'zod';

/** Query strings carry text; these read the usual spellings of typed values. */
export const queryBoolean = z.enum(['true', 'false', '1', '0'], { error: 'expected true or false' }).transform((v) => v === 'true' || v === '1');

export const queryInt = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, { error: 'expected a whole number' })
    .transform(Number)
    .pipe(z.number().int().min(min, { error: `expected at least ${min}` }).max(max, { error: `expected at most ${max}` }));

export const snowflake = z.string().regex(/^\d{17,20}$/, { error: 'expected a Discord snowflake id (17–20 digits)' });

/** `a,b,c` or repeated `?x=a&x=b` into a list of allowed values. */
export const queryList = <T extends readonly [string, ...string[]]>(values: T) =>
  z
    .union([z.string(), z.array(z.string())])
    .transform((v) => (Array.isArray(v) ? v : [v]).flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean))
    .pipe(z.array(z.enum(values, { error: `expected one of ${values.join(', ')}` })).min(1, { error: 'expected at least one value' }));

/** An ISO 8601 date-time with its offset (`2026-11-30T12:00:00Z`), within the years Postgres and JS both hold. */
export const queryTime = z.iso
  .datetime({ offset: true, error: 'expected an ISO 8601 date-time with offset, e.g. 2026-11-30T12:00:00Z' })
  // Postgres has no year 0 and JS dates reach no further than 275760: keep to years 1–9999.
  .refine((s) => !s.startsWith('0000'), { error: 'expected a year from 1 to 9999' })
  .transform((s) => new Date(s));
