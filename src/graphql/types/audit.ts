/** The audit trail: who did what through the API (src/queue/audit.ts writes it). */
import { builder } from '../builder.js';
import type { AuditAction } from '../../queue/services/audit.js';
import { parseId } from '../ids.js';
import { newestFirst, pageComplexity } from '../connections.js';
import { firstArgDescription, relationComplexity, relationTake, type RelationList } from '../listBounds.js';
import { JobRef } from './job.js';

interface AuditEventRow {
  id: number;
  at: Date;
  actor: string;
  role: string | null;
  action: string;
  jobId: number | null;
  requestId: string | null;
  outcome: string;
  detail: string | null;
}

export const AuditActionEnum = builder.enumType('AuditAction', {
  description: 'An operator action.',
  values: {
    ENQUEUE: { description: 'enqueueJob / enqueueJobs' },
    RETRY: { description: 'retryJob' },
    CANCEL: { description: 'cancelJob' },
    REPLAY: { description: 'replayJob' },
    RUN_NOW: { description: 'runJobNow' },
    DELETE: { description: 'deleteJobs (admins; detail: the type, entity and status it had)' },
    PAUSE: { description: 'pauseJobType (detail: the type)' },
    RESUME: { description: 'resumeJobType (detail: the type)' },
    CONCURRENCY: { description: 'setJobTypeConcurrency (detail: the type and its limit)' },
    GROUP_CONCURRENCY: { description: 'setGroupConcurrency (detail: the type, the group and its limit)' },
    GROUP_PAUSE: { description: 'pauseGroup (detail: the type and the group)' },
    GROUP_RESUME: { description: 'resumeGroup (detail: the type and the group)' },
    PRUNE: { description: 'pruneJobs (detail: how many and which)' },
    SCHEDULE_CREATE: { description: 'createSchedule (detail: the schedule)' },
    SCHEDULE_PAUSE: { description: 'pauseSchedule' },
    SCHEDULE_RESUME: { description: 'pauseSchedule with paused: false' },
    SCHEDULE_DELETE: { description: 'deleteSchedule' },
    CIRCUIT: { description: 'setUpstreamCircuit (detail: the upstream and the state forced, or AUTO)' },
    ALERT_RULE_CREATE: { description: 'createAlertRule (detail: the rule)' },
    ALERT_RULE_UPDATE: { description: 'updateAlertRule (detail: the rule)' },
    ALERT_RULE_DELETE: { description: 'deleteAlertRule (detail: the rule)' },
    // Every action the queue audits, or a listing that meets one fails (it did, for schedules).
  } as const satisfies Record<AuditAction, { description: string }>,
});

export const AuditEventRef = builder.objectRef<AuditEventRow>('AuditEvent').implement({
  description: 'One operator action through the API and its outcome. Written with the action, in the same transaction.',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'The event number.' }),
    at: t.expose('at', { type: 'DateTime', description: 'When.' }),
    actor: t.exposeString('actor', { description: 'The API token\'s name, or "anonymous".' }),
    role: t.exposeString('role', { nullable: true, description: "The actor's role then." }),
    action: t.field({ type: AuditActionEnum, description: 'What.', resolve: (event) => event.action as 'ENQUEUE' }),
    jobId: t.id({ nullable: true, description: 'The job acted on (for an enqueue or a replay: the new job).', resolve: (event) => event.jobId }),
    requestId: t.exposeString('requestId', { nullable: true, description: 'The request (x-request-id): find its log lines with it.' }),
    outcome: t.exposeString('outcome', { description: "OK, or the typed error's name (nothing changed then)." }),
    detail: t.exposeString('detail', { nullable: true, description: 'More: the replayed job and attempt, the state canceled from, the error message.' }),
  }),
});

const auditEventsList: RelationList = { field: 'auditEvents', defaultSize: 20 };
const auditPage = { defaultSize: 50, maxSize: 200 };

builder.objectField(JobRef, 'auditEvents', (t) =>
  t.field({
    type: [AuditEventRef],
    description: 'Operator actions on this job, oldest first.',
    args: { first: t.arg.int({ required: false, description: firstArgDescription(auditEventsList) }) },
    complexity: relationComplexity(auditEventsList),
    resolve: (job, args, context) => context.queue.db.auditEvent.findMany({ where: { jobId: job.id }, orderBy: { id: 'asc' }, take: relationTake(auditEventsList, args.first) }),
  }),
);

builder.queryField('auditEvents', (t) =>
  t.connection(
    {
      type: AuditEventRef,
      description: `Operator actions, newest first (at most ${auditPage.maxSize} a page, ${auditPage.defaultSize} by default).`,
      args: {
        jobId: t.arg.id({ required: false, description: 'Only actions on this job.' }),
        actor: t.arg.string({ required: false, description: 'Only this token name (or "anonymous").' }),
        action: t.arg({ type: AuditActionEnum, required: false, description: 'Only this action.' }),
      },
      complexity: pageComplexity(auditPage),
      resolve: (_root, args, context) => {
        const jobId = args.jobId === null || args.jobId === undefined ? undefined : (parseId(args.jobId) ?? -1);
        return newestFirst('auditEvents', args, auditPage, (page) =>
          context.queue.db.auditEvent.findMany({
            where: { jobId, actor: args.actor ?? undefined, action: args.action ?? undefined, id: page.id },
            orderBy: { id: page.order },
            take: page.take,
          }),
        );
      },
    },
    { name: 'AuditEventConnection', description: 'A page of audit events.' },
    { name: 'AuditEventEdge', description: 'One audit event and its cursor.' },
  ),
);
