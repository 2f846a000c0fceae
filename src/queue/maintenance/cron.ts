/** Cron expressions (5 fields, or 6 with seconds) in an IANA time zone, by cron-parser. */
import { CronExpressionParser } from 'cron-parser';
import { InputError } from '../errors.js';

/** The next tick strictly after `after`, or an InputError naming what is wrong. */
export function nextTick(cron: string, timezone: string, after: Date): Date {
  try {
    return CronExpressionParser.parse(cron, { currentDate: after, tz: timezone }).next().toDate();
  } catch (error) {
    throw new InputError(`cron "${cron}" in ${timezone} is not valid: ${(error as Error).message}.`, 'cron');
  }
}

/** The latest tick at or before `at`. */
export function latestTick(cron: string, timezone: string, at: Date): Date {
  // prev() is strictly before its start: start just after `at`, so a tick exactly at `at` counts.
  return CronExpressionParser.parse(cron, { currentDate: new Date(at.getTime() + 1), tz: timezone })
    .prev()
    .toDate();
}
