import type { Job } from '../../db/client.js';
import { anonymousName } from '../../auth/principal.js';
import { auditFailures, type Actor, type AuditAction } from '../../queue/services/audit.js';
import { QueueError } from '../../queue/errors.js';
import { builder, type GraphQLContext } from '../builder.js';
import { JobRef } from '../types/job.js';

/** A mutation's success: the job it wrote. One object type per mutation, so clients can tell them apart. */
export function successType(name: string, description: string) {
  return builder.objectRef<{ job: Job }>(name).implement({
    description,
    fields: (t) => ({ job: t.field({ type: JobRef, description: 'The job as committed.', resolve: (result) => result.job }) }),
  });
}

/** The caller as the audit trail names them, after spending one mutation of their rate budget. */
export async function actingCaller(context: GraphQLContext): Promise<Actor> {
  const { principal } = context;
  await context.mutationLimiter.spend(principal.name === anonymousName ? `${anonymousName}@${context.remoteAddress ?? 'unknown'}` : principal.name);
  return { name: principal.name, role: principal.role ?? null, requestId: context.requestId };
}

/** Audits an action the queue refused before it touched anything (no job), and gives the error back to throw. */
export async function refused<E extends QueueError>(context: GraphQLContext, actor: Actor, action: AuditAction, error: E, detail?: string): Promise<E> {
  await auditFailures(context.queue, actor, action, [{ jobId: null, error, detail }]);
  return error;
}

/** Runs a single-job action; a refusal by the queue (a typed error: nothing changed) is audited, then returned. */
export async function audited<T>(context: GraphQLContext, actor: Actor, action: AuditAction, jobId: number | null, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof QueueError) await auditFailures(context.queue, actor, action, [{ jobId, error }]);
    throw error;
  }
}

/** A mutation's errors option: these typed refusals, or the result itself, in a union named after the mutation (`pauseGroup` → PauseGroupResult). */
export function resultUnionOf<Types extends readonly unknown[]>(name: string, types: Types) {
  return { types, directResult: true as const, union: { name: `${name[0]!.toUpperCase()}${name.slice(1)}Result`, description: `The outcome of ${name}.` } };
}
