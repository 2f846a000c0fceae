/**
 * Alert rules, evaluated every few seconds in worker processes. A rule whose condition holds
 * fires one Alert (a partial unique index allows one FIRING alert per rule, so processes that
 * evaluate at once still make one); its value follows the condition, and the notification goes
 * out once the group wait has passed, saying the value then: 1,000 jobs dead in a minute make one
 * notification that says 1,000. While it fires, it is said again every cooldown; when the
 * condition no longer holds, the alert is RESOLVED and that is said too. Notifications are jobs of
 * the internal type syncbridge_alert (leases, retries, forensics), enqueued with the transition
 * that calls for them (compare-and-set on the alert's row: one process sends each).
 */
import type { AlertKind } from '../../domain/index.js';
import type { Alert, AlertRule } from '../../db/types.js';
import type { CircuitStatus } from '../circuits.js';
import type { QueueContext } from '../context.js';
import { isUniqueViolation } from '../prismaErrors.js';
import { jobsEnqueue } from '../services/jobsEnqueue.js';
import { Periodic } from './periodic.js';

/** The internal job type that delivers notifications. */
export const alertJobType = 'syncbridge_alert';

export interface AlertSettings {
  intervalMs: number;
  /** A new alert's first notification waits this long, so a burst is told as one. */
  groupWaitMs: number;
  /** The upstreams' breakers (UPSTREAM_OPEN), and which types need each. */
  circuits(): CircuitStatus[];
  typesNeeding(upstream: string): readonly string[];
}

export type AlertEvent = 'FIRING' | 'STILL_FIRING' | 'RESOLVED';

interface Condition {
  firing: boolean;
  value: number;
  summary: string;
}

const scopeOf = (rule: Pick<AlertRule, 'jobType'>) => (rule.jobType ? ` of ${rule.jobType}` : '');

/** The attempts that ended in the rule's window, from the per-minute history (the current minute included). */
async function attemptsInWindow(context: QueueContext, rule: AlertRule, now: Date) {
  const since = new Date(Math.floor((now.getTime() - rule.windowSeconds * 1000) / 60_000) * 60_000);
  const sums = await context.db.attemptMinute.aggregate({
    where: { minute: { gte: since }, ...(rule.jobType ? { jobType: rule.jobType } : {}) },
    _sum: { succeeded: true, retried: true, failed: true, dead: true },
  });
  const { succeeded = 0, retried = 0, failed = 0, dead = 0 } = Object.fromEntries(Object.entries(sums._sum).map(([key, value]) => [key, value ?? 0])) as Record<string, number>;
  return { succeeded, retried, failed, dead };
}

/** Whether a rule's condition holds now, its value, and a sentence saying so. */
export async function evaluateRule(context: QueueContext, rule: AlertRule, now: Date, settings: Pick<AlertSettings, 'circuits' | 'typesNeeding'>): Promise<Condition> {
  const window = `the last ${rule.windowSeconds} s`;
  switch (rule.kind as AlertKind) {
    case 'JOB_DEAD': {
      const { dead } = await attemptsInWindow(context, rule, now);
      return { firing: dead >= Math.max(1, rule.threshold), value: dead, summary: `${dead} job${dead === 1 ? '' : 's'}${scopeOf(rule)} went DEAD in ${window}` };
    }
    case 'FAILURE_RATE': {
      const { succeeded, retried, failed, dead } = await attemptsInWindow(context, rule, now);
      const total = succeeded + retried + failed + dead;
      const share = total ? (retried + failed + dead) / total : 0;
      return {
        firing: total >= Math.max(1, rule.minCount) && share >= rule.threshold,
        value: Math.round(share * 1000) / 1000,
        summary: `${Math.round(share * 100)}% of ${total} attempts${scopeOf(rule)} failed in ${window} (threshold ${Math.round(rule.threshold * 100)}%)`,
      };
    }
    case 'QUEUE_AGE': {
      const oldest = await context.db.job.aggregate({
        where: { status: 'PENDING', nextRunAt: { lte: now }, ...(rule.jobType ? { jobType: rule.jobType } : {}) },
        _min: { nextRunAt: true },
      });
      const age = oldest._min.nextRunAt ? Math.max(0, Math.round((now.getTime() - oldest._min.nextRunAt.getTime()) / 1000)) : 0;
      return { firing: age > rule.threshold, value: age, summary: `the oldest due job${scopeOf(rule)} has waited ${age} s (threshold ${rule.threshold} s)` };
    }
    case 'UPSTREAM_OPEN': {
      const open = settings.circuits().filter((circuit) => circuit.state !== 'CLOSED' && (!rule.jobType || settings.typesNeeding(circuit.upstream).includes(rule.jobType)));
      const names = open.map((circuit) => `${circuit.upstream} (${circuit.state}${circuit.lastError ? `: ${circuit.lastError}` : ''})`).join(', ');
      return { firing: open.length > 0, value: open.length, summary: open.length ? `circuit open: ${names}; the jobs that need it wait` : 'every circuit is closed' };
    }
    default:
      return { firing: false, value: 0, summary: `unknown kind ${rule.kind}` };
  }
}

/** Enqueues one notification of the alert, if this process wins its turn (the count it read is still the count). */
async function notify(context: QueueContext, alert: Pick<Alert, 'id' | 'notifications'>, event: AlertEvent, now: Date, delayMs: number): Promise<boolean> {
  // When it will be told (after the group wait): the cooldown counts from then.
  const at = new Date(now.getTime() + delayMs);
  const { count } = await context.db.alert.updateMany({
    where: { id: alert.id, notifications: alert.notifications },
    data: { notifications: alert.notifications + 1, lastNotifiedAt: at },
  });
  if (!count) return false;
  const [result] = await jobsEnqueue(
    context,
    [
      {
        jobType: alertJobType,
        entityId: `alert_${alert.id}_${alert.notifications + 1}`,
        payload: { alertId: alert.id, event },
        scheduledAt: delayMs ? at : null,
      },
    ],
    { name: 'alerts', role: null, requestId: null },
    { internal: true },
  );
  if (!result?.ok) context.logger.error({ alertId: alert.id, event, err: result?.error }, 'could not enqueue an alert notification');
  return true;
}

/** One rule: fire, follow, repeat or resolve its alert. */
async function ruleRound(context: QueueContext, rule: AlertRule, now: Date, settings: AlertSettings): Promise<void> {
  const condition = await evaluateRule(context, rule, now, settings);
  const firing = await context.db.alert.findFirst({ where: { ruleId: rule.id, state: 'FIRING' } });
  if (condition.firing && !firing) {
    let created: Alert;
    try {
      created = await context.db.alert.create({
        data: { ruleId: rule.id, state: 'FIRING', startedAt: now, value: condition.value, peak: condition.value, summary: condition.summary, updatedAt: now },
      });
    } catch (error) {
      if (isUniqueViolation(error)) return; // another process fired it first
      throw error;
    }
    context.logger.warn({ alert: { id: created.id, rule: rule.name, kind: rule.kind }, value: condition.value }, `alert firing: ${condition.summary}`);
    await notify(context, created, 'FIRING', now, settings.groupWaitMs);
    context.bus.emit('alerts:changed', { alertId: created.id });
    return;
  }
  if (!firing) return;
  if (condition.firing) {
    const peak = Math.max(firing.peak, condition.value);
    if (condition.value !== firing.value || condition.summary !== firing.summary) {
      await context.db.alert.updateMany({ where: { id: firing.id, state: 'FIRING' }, data: { value: condition.value, peak, summary: condition.summary, updatedAt: now } });
      context.bus.emit('alerts:changed', { alertId: firing.id });
    }
    if (firing.lastNotifiedAt && now.getTime() - firing.lastNotifiedAt.getTime() >= rule.cooldownSeconds * 1000) await notify(context, firing, 'STILL_FIRING', now, 0);
    return;
  }
  const { count } = await context.db.alert.updateMany({
    where: { id: firing.id, state: 'FIRING' },
    data: { state: 'RESOLVED', resolvedAt: now, value: condition.value, updatedAt: now },
  });
  if (!count) return;
  context.logger.info({ alert: { id: firing.id, rule: rule.name, kind: rule.kind } }, 'alert resolved');
  await notify(context, firing, 'RESOLVED', now, 0);
  context.bus.emit('alerts:changed', { alertId: firing.id });
}

export class AlertEvaluator extends Periodic<void> {
  constructor(context: QueueContext, settings: AlertSettings) {
    super(
      async () => {
        const now = context.now();
        for (const rule of await context.db.alertRule.findMany({ where: { enabled: true }, orderBy: { id: 'asc' } })) {
          await ruleRound(context, rule, now, settings).catch((error: unknown) => context.logger.warn({ err: error, rule: rule.name }, 'evaluating an alert rule failed'));
        }
      },
      settings.intervalMs,
      context.logger,
      'an alert evaluation',
    );
  }
}
