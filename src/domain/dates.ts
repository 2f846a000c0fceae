/** Date-times as the API takes them: RFC 3339 with an offset, within what both databases hold. */

/** Earliest and latest instants a date-time may name: what both databases store (PostgreSQL has no year 0). */
export const dateTimeRange = { min: -62_135_596_800_000 /* 0001-01-01T00:00:00Z */, max: Date.UTC(9999, 11, 31, 23, 59, 59, 999) } as const;

const rfc3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|([+-])(\d{2}):(\d{2}))$/;

/**
 * An RFC 3339 date-time with its offset ("2026-12-07T10:00:00Z", "2026-12-07T11:00:00.5+01:00"),
 * or undefined: no other shapes (Date.parse reads "1" as a year and "2026-12-07 10:00" in the
 * server's own time zone), no impossible dates ("2026-02-30"), and only instants the databases
 * hold (years 0001-9999 in UTC).
 */
export function parseDateTime(text: string): Date | undefined {
  const match = rfc3339.exec(text);
  if (!match) return undefined;
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const fraction = match[7] ? Number(match[7].slice(1, 4).padEnd(3, '0')) : 0; // digits, not a float: ".123" is 123 ms exactly
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return undefined;
  const daysInMonth = new Date(Date.UTC(2000, month, 0)).getUTCDate() - (month === 2 && !isLeapYear(year) ? 1 : 0);
  if (day > daysInMonth) return undefined;
  let offsetMinutes = 0;
  if (match[9]) {
    const offsetHours = Number(match[10]);
    const offsetMins = Number(match[11]);
    if (offsetHours > 23 || offsetMins > 59) return undefined;
    offsetMinutes = (match[9] === '-' ? -1 : 1) * (offsetHours * 60 + offsetMins);
  }
  const local = new Date(0);
  local.setUTCFullYear(year, month - 1, day); // setUTCFullYear: Date.UTC maps years 0-99 to 1900-1999
  local.setUTCHours(hour, minute, second, fraction);
  const instant = local.getTime() - offsetMinutes * 60_000;
  return instant < dateTimeRange.min || instant > dateTimeRange.max ? undefined : new Date(instant);
}

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}
