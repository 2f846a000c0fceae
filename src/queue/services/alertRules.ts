/**
 * Alert rules: created, changed and deleted by admins, each checked whole (a bad field is an
 * InputError naming it, nothing written) and audited. A rule's channel secret is write-only.
 */
import { alertChannelKinds, alertKinds, type AlertChannelKind, type AlertKind } from '../../domain/index.js';
import type { AlertRule } from '../../db/types.js';
import type { QueueContext } from '../context.js';
import { InputError, NotFoundError } from '../errors.js';
import { isUniqueViolation } from '../prismaErrors.js';
import { auditRow, type Actor } from './audit.js';

export interface AlertRuleInput {
  name?: string | null;
  kind?: AlertKind | null;
  jobType?: string | null;
  threshold?: number | null;
  windowSeconds?: number | null;
  minCount?: number | null;
  cooldownSeconds?: number | null;
  enabled?: boolean | null;
  channel?: { kind: AlertChannelKind; url?: string | null; secret?: string | null; to?: string | null } | null;
}

/** Each kind's threshold: its default and bounds, and what it means. */
const thresholds: Record<AlertKind, { fallback: number; min: number; max: number; says: string }> = {
  JOB_DEAD: { fallback: 1, min: 1, max: 1e9, says: 'dead jobs in the window, at least 1' },
  FAILURE_RATE: { fallback: 0.5, min: 0.01, max: 1, says: 'the failed share of attempts, from 0.01 to 1' },
  QUEUE_AGE: { fallback: 300, min: 1, max: 30 * 86_400, says: 'seconds the oldest due job waits, from 1 to 2592000' },
  UPSTREAM_OPEN: { fallback: 0, min: 0, max: 0, says: 'not used (any open circuit fires it)' },
};

const emailPattern = /^[^\s@,<>]+@[^\s@,<>]+\.[^\s@,<>]+$/;

function integerIn(value: number, field: string, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) throw new InputError(`${field} must be an integer from ${min} to ${max}.`, field);
  return value;
}

/** The row a rule input makes over `current` (an update), every field checked. */
function ruleData(context: Pick<QueueContext, 'jobTypes'>, input: AlertRuleInput, current?: AlertRule) {
  const name = (input.name ?? current?.name ?? '').trim();
  if (!name || name.length > 100) throw new InputError('name must be 1 to 100 characters.', 'name');
  const kind = input.kind ?? (current?.kind as AlertKind | undefined);
  if (!kind || !alertKinds.includes(kind)) throw new InputError(`kind must be one of ${alertKinds.join(', ')}.`, 'kind');
  const jobType = input.jobType === undefined ? (current?.jobType ?? null) : input.jobType;
  if (jobType !== null && !context.jobTypes.list().some((type) => type.name === jobType)) throw new InputError(`Unknown jobType "${jobType}".`, 'jobType');
  const bounds = thresholds[kind];
  const threshold = input.threshold ?? (current && current.kind === kind ? current.threshold : bounds.fallback);
  if (kind !== 'UPSTREAM_OPEN' && !(threshold >= bounds.min && threshold <= bounds.max)) throw new InputError(`threshold for ${kind} is ${bounds.says}.`, 'threshold');
  const windowSeconds = integerIn(input.windowSeconds ?? current?.windowSeconds ?? 300, 'windowSeconds', 60, 86_400);
  const minCount = integerIn(input.minCount ?? current?.minCount ?? (kind === 'FAILURE_RATE' ? 20 : 0), 'minCount', 0, 1e9);
  const cooldownSeconds = integerIn(input.cooldownSeconds ?? current?.cooldownSeconds ?? 1800, 'cooldownSeconds', 0, 7 * 86_400);
  const channel =
    input.channel ?? (current ? { kind: current.channelKind as AlertChannelKind, url: current.channelUrl, secret: current.channelSecret, to: current.channelTo } : undefined);
  if (!channel || !alertChannelKinds.includes(channel.kind)) throw new InputError(`channel.kind must be one of ${alertChannelKinds.join(', ')}.`, 'channel.kind');
  const url = channel.url?.trim() || null;
  const to = channel.to?.trim() || null;
  if (channel.kind !== 'EMAIL' && (!url || !/^https?:\/\/\S+$/.test(url) || url.length > 2000))
    throw new InputError(`A ${channel.kind} channel needs an http(s) url.`, 'channel.url');
  if (channel.kind === 'EMAIL' && (!to || to.length > 2000 || !to.split(',').every((address) => emailPattern.test(address.trim())))) {
    throw new InputError('An EMAIL channel needs `to`: addresses, comma-separated.', 'channel.to');
  }
  const secret = channel.secret ?? null;
  if (secret !== null && (secret.length < 16 || secret.length > 256)) throw new InputError('channel.secret must be 16 to 256 characters.', 'channel.secret');
  return {
    name,
    kind,
    jobType,
    threshold: kind === 'UPSTREAM_OPEN' ? 0 : threshold,
    windowSeconds,
    minCount,
    cooldownSeconds,
    enabled: input.enabled ?? current?.enabled ?? true,
    channelKind: channel.kind,
    channelUrl: channel.kind === 'EMAIL' ? null : url,
    channelSecret: channel.kind === 'WEBHOOK' ? secret : null,
    channelTo: channel.kind === 'EMAIL' ? to : null,
  };
}

async function written<T>(write: Promise<T>): Promise<T> {
  try {
    return await write;
  } catch (error) {
    if (isUniqueViolation(error)) throw new InputError('Another alert rule has this name.', 'name');
    throw error;
  }
}

function audit(context: QueueContext, actor: Actor, action: 'ALERT_RULE_CREATE' | 'ALERT_RULE_UPDATE' | 'ALERT_RULE_DELETE', rule: Pick<AlertRule, 'id' | 'name'>) {
  context.logger.info(
    { audit: { actor: actor.name, role: actor.role, action, outcome: 'OK' }, ruleId: rule.id, rule: rule.name, requestId: actor.requestId },
    'alert rule changed',
  );
  context.bus.emit('alerts:changed', { ruleId: rule.id });
  return context.db.auditEvent.create({ data: auditRow(actor, action, null, 'OK', context.now(), `alert rule ${rule.id} "${rule.name}"`) });
}

export async function alertRuleCreate(context: QueueContext, input: AlertRuleInput, actor: Actor): Promise<AlertRule> {
  const now = context.now();
  const rule = await written(context.db.alertRule.create({ data: { ...ruleData(context, input), createdAt: now, updatedAt: now } }));
  await audit(context, actor, 'ALERT_RULE_CREATE', rule);
  return rule;
}

export async function alertRuleUpdate(context: QueueContext, id: number, input: AlertRuleInput, actor: Actor): Promise<AlertRule> {
  const current = await context.db.alertRule.findUnique({ where: { id } });
  if (!current) throw new NotFoundError('AlertRule', String(id));
  const rule = await written(context.db.alertRule.update({ where: { id }, data: { ...ruleData(context, input, current), updatedAt: context.now() } }));
  await audit(context, actor, 'ALERT_RULE_UPDATE', rule);
  return rule;
}

/** Deletes the rule and its alert history. */
export async function alertRuleDelete(context: QueueContext, id: number, actor: Actor): Promise<AlertRule> {
  const current = await context.db.alertRule.findUnique({ where: { id } });
  if (!current) throw new NotFoundError('AlertRule', String(id));
  await context.db.$transaction([context.db.alert.deleteMany({ where: { ruleId: id } }), context.db.alertRule.delete({ where: { id } })]);
  await audit(context, actor, 'ALERT_RULE_DELETE', current);
  return current;
}
