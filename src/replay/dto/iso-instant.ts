import { registerDecorator, ValidationOptions } from 'class-validator';

const ISO_INSTANT =
  /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(Z|[+-]\d{2}(?::?\d{2})?))?$/i;

/**
 * An ISO 8601 instant: a calendar date (midnight UTC) or a date-time with seconds and
 * fraction optional and a time zone required (`Z` or `±hh:mm`), since a time without a
 * zone means a different instant on every machine. Impossible dates (Feb 30) are refused,
 * not rolled over as `Date.parse` does. Precision is kept to the millisecond.
 */
export function parseIsoInstant(value: string): Date | null {
  const m = ISO_INSTANT.exec(value);
  if (!m) return null;
  const [, y, mo, d, h, mi, s, fraction, zone] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  if (month < 1 || month > 12 || day < 1 || day > new Date(Date.UTC(year, month, 0)).getUTCDate()) return null;
  if (h === undefined) return new Date(Date.UTC(year, month - 1, day));
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s ?? 0);
  if (hour > 23 || minute > 59 || second > 59) return null;
  let offsetMinutes = 0;
  if (zone.toUpperCase() !== 'Z') {
    const [oh, om] = [Number(zone.slice(1, 3)), Number(zone.slice(3).replace(':', '') || 0)];
    if (oh > 23 || om > 59) return null;
    offsetMinutes = (zone[0] === '-' ? -1 : 1) * (oh * 60 + om);
  }
  const ms = Number((fraction ?? '').padEnd(3, '0').slice(0, 3));
  const time = Date.UTC(year, month - 1, day, hour, minute, second, ms) - offsetMinutes * 60_000;
  const date = new Date(time);
  return Number.isNaN(date.getTime()) ? null : date;
}

/** class-validator check that a query value is one ISO 8601 instant (see parseIsoInstant). */
export function IsIsoInstant(options?: ValidationOptions): PropertyDecorator {
  return (target: object, propertyName: string | symbol) =>
    registerDecorator({
      name: 'isIsoInstant',
      target: target.constructor,
      propertyName: propertyName as string,
      options: {
        message: ({ property, value }) =>
          value === undefined
            ? `${property} is required: one ISO 8601 instant such as 2025-11-26T10:00:00Z or 2025-11-26 (a date-time needs Z or an offset like +02:00)`
            : `${property} must be one ISO 8601 instant such as 2025-11-26T10:00:00Z or 2025-11-26 ` +
              `(a date-time needs Z or an offset like +02:00); got ${JSON.stringify(value)}`,
        ...options,
      },
      validator: { validate: (value: unknown) => typeof value === 'string' && parseIsoInstant(value) !== null },
    });
}
