/** The processes sharing the database (API, worker or both), as each last reported itself. */
import type { ProcessRow } from '../../queue/maintenance/heartbeat.js';
import { builder } from '../builder.js';

const ProcessRoleEnum = builder.enumType('ProcessRole', {
  description: 'What a process does.',
  values: {
    API: { description: 'Serves the GraphQL API and the dashboard (SYNCBRIDGE_API).' },
    WORKER: { description: 'Runs jobs, schedules and retention (SYNCBRIDGE_WORKER).' },
  } as const,
});

const ProcessRef = builder.objectRef<ProcessRow>('Process').implement({
  description: 'A SyncBridge process, as its last heartbeat reported it (every SYNCBRIDGE_HEARTBEAT_SECONDS).',
  fields: (t) => ({
    id: t.exposeID('id', { description: "The process's id (host:pid:random); a worker's lease owner on its jobs." }),
    host: t.exposeString('host', { description: 'The machine it runs on.' }),
    pid: t.exposeInt('pid', { description: 'Its operating-system process id.' }),
    roles: t.field({
      type: [ProcessRoleEnum],
      description: 'What it does.',
      resolve: (row) => row.roles.split(',').map((role) => role.toUpperCase() as 'API' | 'WORKER'),
    }),
    version: t.exposeString('version', { description: 'The SyncBridge version it runs.' }),
    concurrency: t.exposeInt('concurrency', { nullable: true, description: "Its worker's concurrency; null without a worker." }),
    running: t.exposeInt('running', { description: 'Jobs its worker held at the last beat (running, or claimed and about to).' }),
    startedAt: t.expose('startedAt', { type: 'DateTime', description: 'When it started.' }),
    lastHeartbeatAt: t.field({ type: 'DateTime', description: 'Its last heartbeat.', resolve: (row) => row.lastSeenAt }),
  }),
});

builder.queryField('processes', (t) =>
  t.field({
    type: [ProcessRef],
    description: 'Every process that reported itself within its last three heartbeats: workers first, then by host and start time.',
    resolve: (_root, _args, context) => context.readProcesses(),
  }),
);
