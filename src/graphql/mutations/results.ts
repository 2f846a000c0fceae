import type { Job } from '../../db/client.js';
import { builder } from '../builder.js';
import { JobRef } from '../types/job.js';

/** A mutation's success: the job it wrote. One object type per mutation, so clients can tell them apart. */
export function successType(name: string, description: string) {
  return builder.objectRef<{ job: Job }>(name).implement({
    description,
    fields: (t) => ({ job: t.field({ type: JobRef, description: 'The job as committed.', resolve: (result) => result.job }) }),
  });
}
