/**
 * One job: every field, the attempt timeline with each attempt's upstream calls (what was sent,
 * what came back) and, for a bug, its stack; replay lineage both ways; the actions its state
 * allows (a cancel asks first). Kept live by `jobUpdated(id)`, whose payload Graphcache merges
 * into this view. Its parts are in ./job/.
 */
import { useQuery, useSubscription } from 'urql';
import { StatusBadge } from '../components/StatusBadge';
import { useRefetchOnReconnect } from '../hooks';
import { usePausedTypes } from '../jobTypes';
import { readFragment } from '../graphql';
import { linkProps } from '../router';
import { AttemptTimeline } from './job/AttemptTimeline';
import { AuditTable } from './job/AuditTable';
import { JobActions } from './job/JobActions';
import { JobFields } from './job/JobFields';
import { Lineage } from './job/Lineage';
import { fill, JobDetail, JobLive, JobQuery } from './job/operations';

export function JobDetailPage({ id, canAct }: { id: string; canAct: boolean }) {
  const [{ data, fetching, error }, refetch] = useQuery({ query: JobQuery, variables: { id } });
  const paused = usePausedTypes();
  useSubscription({ query: JobLive, variables: { id } });
  useRefetchOnReconnect(refetch);

  if (error)
    return (
      <p className="message error" role="alert">
        Could not load job {id}: {error.message}
      </p>
    );
  if (!data) return <p>{fetching ? 'Loading…' : ''}</p>;
  if (!data.job)
    return (
      <p className="message error" role="alert">
        Job {id} does not exist.
      </p>
    );
  const job = readFragment(JobDetail, data.job);
  return (
    <section aria-labelledby="job-heading" data-job-id={job.id}>
      <p>
        <a {...linkProps('/')}>← All jobs</a>
      </p>
      <h1 id="job-heading">
        Job {job.id} <StatusBadge status={job.status} phase={job.phase} paused={paused.has(job.jobType)} />
      </h1>
      <Lineage job={job} />
      <JobActions job={job} canAct={canAct} />
      <JobFields job={job} logSearch={fill(data.operatorLinks.logSearch, '{correlationId}', job.correlationId)} />
      <AttemptTimeline attempts={job.attempts} createdAt={job.createdAt} traceLink={data.operatorLinks.trace} />
      <AuditTable events={job.auditEvents} />
    </section>
  );
}
