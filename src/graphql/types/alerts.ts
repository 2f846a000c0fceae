/**
 * Alerts over GraphQL: the rules (admins create, change and delete them; a channel's secret is
 * write-only and its URL shown whole to admins only: a Slack URL is a credential), the alert
 * history (`alerts`, newest first), and the firing alerts live (`alertsUpdated`).
 */
import { roleAtLeast } from '../../auth/tokens.js';
import type { Alert, AlertRule } from '../../db/types.js';
import { alertChannelKinds, alertKinds, type AlertChannelKind, type AlertKind } from '../../domain/index.js';
import { InputError, NotFoundError } from '../../queue/errors.js';
import { alertRuleCreate, alertRuleDelete, alertRuleUpdate, type AlertRuleInput } from '../../queue/services/alertRules.js';
import { builder, type GraphQLContext } from '../builder.js';
import { parseId } from '../ids.js';
import { newestFirst, pageComplexity } from '../connections.js';
import { actingCaller, resultUnionOf } from '../mutations/results.js';
import type { LiveFieldExtension } from '../../events/liveField.js';

const AlertKindEnum = builder.enumType('AlertKind', {
  description: 'What an alert rule watches.',
  values: {
    JOB_DEAD: { description: 'Jobs gone DEAD in the window (threshold: how many, default 1), counted by the minute.' },
    FAILURE_RATE: { description: 'The failed share of attempts in the window (threshold 0-1), once there were minCount attempts.' },
    QUEUE_AGE: { description: 'The oldest due job has waited more than threshold seconds.' },
    UPSTREAM_OPEN: { description: "An upstream's circuit breaker is open (with jobType: one its jobs need)." },
  } satisfies Record<(typeof alertKinds)[number], { description: string }>,
});

const AlertChannelKindEnum = builder.enumType('AlertChannelKind', {
  description: 'Where notifications go.',
  values: {
    WEBHOOK: { description: 'A JSON POST signed with SyncBridge-Signature (the channel secret), as inbound webhooks are.' },
    SLACK: { description: 'A Slack-compatible incoming webhook ({"text", "blocks"}).' },
    EMAIL: { description: 'Email over SMTP (SYNCBRIDGE_SMTP_URL) to `to`.' },
  } satisfies Record<(typeof alertChannelKinds)[number], { description: string }>,
});

const AlertStateEnum = builder.enumType('AlertState', { description: 'An alert firing, or over.', values: ['FIRING', 'RESOLVED'] as const });

const AlertChannelRef = builder.objectRef<AlertRule>('AlertChannel').implement({
  description: "An alert rule's channel. Its secret is never shown.",
  fields: (t) => ({
    kind: t.field({ type: AlertChannelKindEnum, description: 'WEBHOOK, SLACK or EMAIL.', resolve: (rule) => rule.channelKind as AlertChannelKind }),
    url: t.string({
      nullable: true,
      description: 'Where it posts: whole to admins, its origin to others (a Slack URL is a credential).',
      resolve: (rule, _args, context) => (rule.channelUrl && !roleAtLeast(context.principal.role, 'admin') ? `${new URL(rule.channelUrl).origin}/…` : rule.channelUrl),
    }),
    to: t.exposeString('channelTo', { nullable: true, description: 'EMAIL: the recipients.' }),
    hasSecret: t.boolean({ description: 'WEBHOOK: whether notifications are signed.', resolve: (rule) => rule.channelSecret !== null }),
  }),
});

export const AlertRuleRef = builder.objectRef<AlertRule>('AlertRule').implement({
  description: 'A condition over the queue and where its notifications go. Evaluated every few seconds (SYNCBRIDGE_ALERTS_INTERVAL_SECONDS).',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'The rule number.' }),
    name: t.exposeString('name', { description: 'Unique.' }),
    kind: t.field({ type: AlertKindEnum, description: 'What it watches.', resolve: (rule) => rule.kind as AlertKind }),
    jobType: t.exposeString('jobType', { nullable: true, description: 'Only jobs of this type (null: all).' }),
    threshold: t.exposeFloat('threshold', { description: 'JOB_DEAD: dead jobs; FAILURE_RATE: failed share; QUEUE_AGE: seconds; UPSTREAM_OPEN: unused.' }),
    windowSeconds: t.exposeInt('windowSeconds', { description: 'JOB_DEAD and FAILURE_RATE: the window, counted by the minute.' }),
    minCount: t.exposeInt('minCount', { description: 'FAILURE_RATE: attempts needed before the rate counts.' }),
    cooldownSeconds: t.exposeInt('cooldownSeconds', { description: 'A firing alert is told again at most this often.' }),
    enabled: t.exposeBoolean('enabled', { description: 'Evaluated.' }),
    channel: t.field({ type: AlertChannelRef, description: 'Where notifications go.', resolve: (rule) => rule }),
  }),
});

export const AlertRef = builder.objectRef<Alert>('Alert').implement({
  description: 'One firing of a rule, from when its condition held to when it no longer did.',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'The alert number.' }),
    state: t.field({ type: AlertStateEnum, description: 'FIRING or RESOLVED.', resolve: (alert) => alert.state as 'FIRING' }),
    rule: t.field({
      type: AlertRuleRef,
      nullable: true,
      description: 'Its rule.',
      resolve: (alert, _args, context) => context.queue.db.alertRule.findUnique({ where: { id: alert.ruleId } }),
    }),
    startedAt: t.expose('startedAt', { type: 'DateTime', description: 'When it fired.' }),
    resolvedAt: t.expose('resolvedAt', { type: 'DateTime', nullable: true, description: 'When its condition no longer held.' }),
    value: t.exposeFloat('value', { description: "The condition's value when last evaluated." }),
    peak: t.exposeFloat('peak', { description: 'The largest value while it fired.' }),
    summary: t.exposeString('summary', { description: 'What holds, in a sentence (as notified).' }),
    notifications: t.exposeInt('notifications', { description: 'Notifications sent for it (each a syncbridge_alert job).' }),
    lastNotifiedAt: t.expose('lastNotifiedAt', { type: 'DateTime', nullable: true, description: 'The last one.' }),
  }),
});

const ChannelInput = builder.inputType('AlertChannelInput', {
  description: "An alert rule's channel.",
  fields: (t) => ({
    kind: t.field({ type: AlertChannelKindEnum, required: true, description: 'WEBHOOK, SLACK or EMAIL.' }),
    url: t.string({ required: false, description: 'WEBHOOK and SLACK: where to POST.' }),
    secret: t.string({ required: false, description: 'WEBHOOK: signs each notification (16-256 characters); never shown again.' }),
    to: t.string({ required: false, description: 'EMAIL: addresses, comma-separated.' }),
  }),
});

type InputFields = Parameters<Extract<Parameters<typeof builder.inputType>[1]['fields'], (...args: never[]) => unknown>>[0];

/** The rule's fields: all required to create one but `jobType`, none to change one. */
const ruleFields = (t: InputFields, create: boolean) => ({
  name: t.string({ required: create, description: 'Unique, 1-100 characters.' }),
  kind: t.field({ type: AlertKindEnum, required: create, description: 'What it watches.' }),
  jobType: t.string({ required: false, description: 'Only jobs of this type (its name, e.g. invoice_sync).' }),
  threshold: t.float({ required: false, description: 'JOB_DEAD: dead jobs (default 1); FAILURE_RATE: 0.01-1 (default 0.5); QUEUE_AGE: seconds (default 300).' }),
  windowSeconds: t.int({ required: false, description: '60-86400 (default 300).' }),
  minCount: t.int({ required: false, description: 'FAILURE_RATE: attempts needed (default 20).' }),
  cooldownSeconds: t.int({ required: false, description: 'Told again at most this often while firing (default 1800).' }),
  enabled: t.boolean({ required: false, description: 'Default true.' }),
  channel: t.field({ type: ChannelInput, required: create, description: 'Where notifications go.' }),
});

const CreateInput = builder.inputType('CreateAlertRuleInput', { description: 'A new alert rule.', fields: (t) => ruleFields(t, true) });
const UpdateInput = builder.inputType('UpdateAlertRuleInput', {
  description: "What changes in a rule (the rest stays; a channel given replaces the rule's).",
  fields: (t) => ruleFields(t, false),
});

const ruleId = (id: string | number) => {
  const parsed = parseId(id);
  if (parsed === undefined) throw new NotFoundError('AlertRule', id);
  return parsed;
};
const adminOnly = { authScopes: { admin: true } } as const;
const resultOf = (name: string, types: (typeof InputError | typeof NotFoundError)[]) => resultUnionOf(name, types);

builder.mutationFields((t) => ({
  createAlertRule: t.field({
    ...adminOnly,
    type: AlertRuleRef,
    description: 'Create an alert rule (admins). Audited.',
    errors: resultOf('createAlertRule', [InputError]),
    args: { input: t.arg({ type: CreateInput, required: true, description: 'The rule.' }) },
    resolve: async (_root, args, context) => alertRuleCreate(context.queue, args.input as AlertRuleInput, await actingCaller(context)),
  }),
  updateAlertRule: t.field({
    ...adminOnly,
    type: AlertRuleRef,
    description: 'Change an alert rule (admins). Audited.',
    errors: resultOf('updateAlertRule', [InputError, NotFoundError]),
    args: { id: t.arg.id({ required: true, description: 'The rule.' }), input: t.arg({ type: UpdateInput, required: true, description: 'What changes.' }) },
    resolve: async (_root, args, context) => alertRuleUpdate(context.queue, ruleId(args.id), args.input as AlertRuleInput, await actingCaller(context)),
  }),
  deleteAlertRule: t.field({
    ...adminOnly,
    type: AlertRuleRef,
    description: 'Delete an alert rule and its alert history (admins). Audited.',
    errors: resultOf('deleteAlertRule', [NotFoundError]),
    args: { id: t.arg.id({ required: true, description: 'The rule.' }) },
    resolve: async (_root, args, context) => alertRuleDelete(context.queue, ruleId(args.id), await actingCaller(context)),
  }),
}));

builder.queryField('alertRules', (t) =>
  t.field({
    type: [AlertRuleRef],
    description: 'Every alert rule, oldest first.',
    resolve: (_root, _args, context) => context.queue.db.alertRule.findMany({ orderBy: { id: 'asc' } }),
  }),
);

const alertsPage = { defaultSize: 50, maxSize: 200 };

builder.queryField('alerts', (t) =>
  t.connection(
    {
      type: AlertRef,
      description: `The alert history, newest first (at most ${alertsPage.maxSize} a page).`,
      args: {
        state: t.arg({ type: AlertStateEnum, required: false, description: 'Only FIRING or only RESOLVED.' }),
        ruleId: t.arg.id({ required: false, description: "Only this rule's." }),
      },
      complexity: pageComplexity(alertsPage),
      resolve: (_root, args, context) => {
        const rule = args.ruleId === null || args.ruleId === undefined ? undefined : (parseId(args.ruleId) ?? -1);
        return newestFirst('alerts', args, alertsPage, (page) =>
          context.queue.db.alert.findMany({ where: { state: args.state ?? undefined, ruleId: rule, id: page.id }, orderBy: { id: page.order }, take: page.take }),
        );
      },
    },
    { name: 'AlertConnection', description: 'A page of alerts.' },
    { name: 'AlertEdge', description: 'One alert and its cursor.' },
  ),
);

const alertsUpdatedLive: LiveFieldExtension<Alert[]> = {
  snapshot: (_args, context) => (context as GraphQLContext).live.alerts.latest(),
  key: () => 'alerts',
};

builder.subscriptionField('alertsUpdated', (t) =>
  t.field({
    type: [AlertRef],
    description: 'The firing alerts: at once, then again whenever one fires, changes or resolves (at most once a second).',
    extensions: { live: alertsUpdatedLive },
    subscribe: (_root, _args, context) => context.live.alerts.subscribe(),
    resolve: (alerts) => alerts,
  }),
);
