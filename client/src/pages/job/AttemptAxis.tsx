/**
 * A job's history on one time axis (Temporal's event history, River's attempt list, drawn): from
 * its enqueue, the wait for a worker, each attempt as a bar coloured by its outcome with its
 * upstream calls inside, and the backoff between attempts. Hover names each part; the list
 * below it holds the same in words.
 */
import { duration, exactTime } from '../../time';
import type { JobDetailData } from './operations';

type Attempt = JobDetailData['attempts'][number];

/** A part of the axis: where it starts and ends (epoch ms), its kind and what hovering says. */
interface Span {
  from: number;
  to: number;
  kind: 'queued' | 'backoff' | 'ok' | 'failed' | 'running' | 'call';
  label: string;
}

function spansOf(createdAt: string, attempts: readonly Attempt[], now: number): Span[] {
  const ordered = [...attempts].sort((a, b) => a.attemptNumber - b.attemptNumber);
  const spans: Span[] = [];
  let previousEnd = Date.parse(createdAt);
  ordered.forEach((attempt, index) => {
    const start = Date.parse(attempt.startedAt);
    const end = attempt.finishedAt ? Date.parse(attempt.finishedAt) : now;
    if (start > previousEnd)
      spans.push({
        from: previousEnd,
        to: start,
        kind: index === 0 ? 'queued' : 'backoff',
        label: `${index === 0 ? 'waited for a worker' : 'backoff'} ${duration(start - previousEnd)}`,
      });
    const outcome = !attempt.finishedAt ? 'running' : attempt.success ? 'ok' : 'failed';
    const what = outcome === 'running' ? 'running' : attempt.success ? 'succeeded' : (attempt.errorType ?? 'failed');
    spans.push({ from: start, to: end, kind: outcome, label: `attempt ${attempt.attemptNumber}: ${what}, ${duration(end - start)}` });
    // Calls inside their attempt, where they were sent (older records: one after another).
    let cursor = start;
    for (const call of attempt.upstreamCalls) {
      const sent = call.startedAt ? Date.parse(call.startedAt) : cursor;
      spans.push({ from: sent, to: sent + call.durationMs, kind: 'call', label: `${call.method} ${call.url} → ${call.status ?? 'no answer'}, ${duration(call.durationMs)}` });
      cursor = sent + call.durationMs;
    }
    previousEnd = end;
  });
  return spans;
}

export function AttemptAxis({ createdAt, attempts }: { createdAt: string; attempts: readonly Attempt[] }) {
  if (!attempts.length) return null;
  const now = Date.now();
  const spans = spansOf(createdAt, attempts, now);
  const start = Date.parse(createdAt);
  const end = Math.max(start + 1, ...spans.map((span) => span.to));
  const place = (span: Span) => ({ left: `${((span.from - start) / (end - start)) * 100}%`, width: `${Math.max(0, ((span.to - span.from) / (end - start)) * 100)}%` });
  const summary = spans
    .filter((span) => span.kind !== 'call')
    .map((span) => span.label)
    .join('; ');
  return (
    <figure className="axis">
      <div className="axis-track" role="img" aria-label={`From enqueue to now: ${summary}.`}>
        {spans.map((span, index) => (
          <span key={index} className={`axis-span axis-${span.kind}`} style={place(span)} title={span.label} data-kind={span.kind} />
        ))}
      </div>
      <figcaption className="axis-scale">
        <span>enqueued {exactTime(createdAt)}</span>
        <span>+{duration(end - start)}</span>
      </figcaption>
    </figure>
  );
}
