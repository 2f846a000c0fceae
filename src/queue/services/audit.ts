/**
 * The audit trail of operator actions through the API. A successful action's row is written by
 * the action itself, in the same transaction (or statement) as its effect; a failed one (a typed
 * QueueError: nothing changed) gets its row here. Every row is logged too.
 */
import type { AuditStamp } from '../../db/ports.js';
import type { QueueContext } from '../context.js';
import type { QueueError } from '../errors.js';

export type AuditAction =
  | 'ENQUEUE'
  | 'RETRY'
  | 'CANCEL'
  | 'REPLAY'
  | 'RUN_NOW'
  | 'DELETE'
  | 'PAUSE'
  | 'RESUME'
  | 'CONCURRENCY'
  | 'GROUP_CONCURRENCY'
  | 'GROUP_PAUSE'
  | 'GROUP_RESUME'
  | 'PRUNE'
  | 'SCHEDULE_CREATE'
  | 'SCHEDULE_PAUSE'
  | 'SCHEDULE_RESUME'
  | 'SCHEDULE_DELETE'
  | 'CIRCUIT'
  | 'ALERT_RULE_CREATE'
  | 'ALERT_RULE_UPDATE'
  | 'ALERT_RULE_DELETE';

/** Who acts, as the API authenticated them. */
export interface Actor {
  /** The token's name, or "anonymous". */
  name: string;
  role: string | null;
  requestId: string | null;
}

export interface AuditFailure {
  jobId: number | null;
  error: QueueError;
  detail?: string | null;
}

export function auditRow(actor: Actor, action: AuditAction, jobId: number | null, outcome: string, at: Date, detail: string | null = null) {
  return { at, actor: actor.name, role: actor.role, action, jobId, requestId: actor.requestId, outcome, detail };
}

export function auditStamp(actor: Actor, action: 'ENQUEUE' | 'REPLAY', at: Date): AuditStamp {
  return { actor: actor.name, role: actor.role, requestId: actor.requestId, action, at };
}

/** Logs a successful action (its row was written with it). */
export function logAudited(context: QueueContext, actor: Actor, action: AuditAction, jobIds: readonly number[]): void {
  if (!jobIds.length) return;
  const audit = { actor: actor.name, role: actor.role, action, outcome: 'OK' };
  if (jobIds.length === 1) context.logger.info({ audit, jobId: jobIds[0], requestId: actor.requestId }, 'operator action');
  else context.logger.info({ audit, jobIds: jobIds.length, firstJobId: jobIds[0], requestId: actor.requestId }, 'operator action');
}

/** Records actions that failed with a typed error (nothing changed), one row each. */
export async function auditFailures(context: QueueContext, actor: Actor, action: AuditAction, failures: readonly AuditFailure[]): Promise<void> {
  if (!failures.length) return;
  const at = context.now();
  await context.db.auditEvent.createMany({
    data: failures.map((failure) => auditRow(actor, action, failure.jobId, failure.error.name, at, failure.detail ?? failure.error.message.slice(0, 500))),
  });
  for (const failure of failures.slice(0, 20)) {
    context.logger.info(
      { audit: { actor: actor.name, role: actor.role, action, outcome: failure.error.name }, jobId: failure.jobId, requestId: actor.requestId },
      'operator action refused by the queue',
    );
  }
  if (failures.length > 20)
    context.logger.info({ audit: { actor: actor.name, action }, more: failures.length - 20, requestId: actor.requestId }, 'more operator actions refused by the queue');
}
