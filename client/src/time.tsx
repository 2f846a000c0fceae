/**
 * One time language for the dashboard: exact times in UTC, written the way the CLI and the logs
 * write them ("2026-12-07 06:21:56 UTC"); in tables and lists, relative ("2 min ago", "in 30 s")
 * with the exact time on hover. Inputs of a time are UTC too, and say so.
 */
import { useEffect, useState } from 'react';

const pad = (value: number) => String(value).padStart(2, '0');

/** "2026-12-07 06:21:56 UTC"; "—" for none. */
export function exactTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const date = new Date(iso);
  return `${date.getUTCFullYear()}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())} ${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} UTC`;
}

/** "12 s ago", "5 min ago", "3 h ago", "2 d ago"; "in 30 s" for a time to come. */
export function relativeTime(iso: string, now: number): string {
  const seconds = Math.round((Date.parse(iso) - now) / 1000);
  const size = Math.abs(seconds);
  const amount = size < 60 ? `${size} s` : size < 3_600 ? `${Math.floor(size / 60)} min` : size < 86_400 ? `${Math.floor(size / 3_600)} h` : `${Math.floor(size / 86_400)} d`;
  if (size < 1) return 'now';
  return seconds > 0 ? `in ${amount}` : `${amount} ago`;
}

/** "7 ms", "1.2 s", "3 min 4 s". */
export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—';
  if (ms < 1_000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1_000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1_000)} s`;
}

let now = Date.now();
const listeners = new Set<(value: number) => void>();
let ticker: ReturnType<typeof setInterval> | undefined;

/** The current time, shared by every relative time on the page: one timer, ticking every 5 s. */
export function useNow(): number {
  const [value, setValue] = useState(now);
  useEffect(() => {
    listeners.add(setValue);
    ticker ??= setInterval(() => {
      now = Date.now();
      for (const listener of listeners) listener(now);
    }, 5_000);
    return () => {
      listeners.delete(setValue);
      if (!listeners.size) {
        clearInterval(ticker);
        ticker = undefined;
      }
    };
  }, []);
  return Math.max(value, Date.now() - 5_000);
}

/** A time as the dashboard shows it in lists: relative, the exact UTC time on hover; `dueNow`: a time passed reads "due now". */
export function RelativeTime({ iso, dueNow }: { iso: string | null | undefined; dueNow?: boolean }) {
  const current = useNow();
  if (!iso) return <span className="muted">—</span>;
  return (
    <time dateTime={iso} title={exactTime(iso)}>
      {dueNow && Date.parse(iso) <= current ? 'due now' : relativeTime(iso, current)}
    </time>
  );
}

/** A time on a record: exact, in UTC, and how long ago. */
export function ExactTime({ iso }: { iso: string | null | undefined }) {
  const current = useNow();
  if (!iso) return <>—</>;
  return (
    <time dateTime={iso}>
      {exactTime(iso)} <span className="muted">({relativeTime(iso, current)})</span>
    </time>
  );
}

/** A datetime-local input's value for an ISO time, in UTC (the inputs say so). */
export function utcInputValue(iso: string | undefined): string {
  return iso ? new Date(iso).toISOString().slice(0, 16) : '';
}

/** An ISO time from a datetime-local input's value, read as UTC; undefined when empty. */
export function fromUtcInput(value: string | null | undefined): string | undefined {
  if (!value) return undefined;
  const date = new Date(`${value}Z`);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}
