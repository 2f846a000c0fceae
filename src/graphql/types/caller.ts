/** `me`: who the server takes the caller for; open to everyone, so a client can tell it needs a token. */
import { builder } from '../builder.js';
import type { Principal } from '../../auth/principal.js';
import { anonymousName } from '../../auth/principal.js';

const CallerRef = builder.objectRef<Principal>('Caller').implement({
  description: 'The caller, as authenticated by their API token.',
  fields: (t) => ({
    name: t.exposeString('name', { description: 'The token\'s name, or "anonymous".' }),
    role: t.string({
      nullable: true,
      description: 'viewer, operator or admin; null: this server needs a token and none (valid) was sent.',
      resolve: (principal) => principal.role ?? null,
    }),
    authenticated: t.boolean({ description: 'Whether a token was sent and accepted.', resolve: (principal) => principal.name !== anonymousName }),
  }),
});

builder.queryField('me', (t) =>
  t.field({
    type: CallerRef,
    description: 'Who you are to this server, and your role. Needs no token.',
    resolve: (_root, _args, context) => context.principal,
  }),
);

const OperatorLinksRef = builder.objectRef<{ logSearch: string | undefined; trace: string | undefined }>('OperatorLinks').implement({
  description: 'Where to look further: URL templates the server was configured with (null when not set).',
  fields: (t) => ({
    logSearch: t.string({
      nullable: true,
      description: 'Log lines of one correlation id: replace {correlationId} (SYNCBRIDGE_LOG_SEARCH_URL).',
      resolve: (links) => links.logSearch ?? null,
    }),
    trace: t.string({ nullable: true, description: "An attempt's trace: replace {traceId} (SYNCBRIDGE_TRACE_URL).", resolve: (links) => links.trace ?? null }),
  }),
});

builder.queryField('operatorLinks', (t) =>
  t.field({ type: OperatorLinksRef, description: 'Links out of the dashboard to logs and traces.', resolve: (_root, _args, context) => context.operatorLinks }),
);
