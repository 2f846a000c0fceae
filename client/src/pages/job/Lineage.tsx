/** Replay lineage both ways: what this job replays, and the jobs that replay it. */
import { linkProps } from '../../router';
import type { JobDetailData } from './operations';

export function Lineage({ job }: { job: JobDetailData }) {
  return (
    <>
      {job.isReplay && job.replayOf && (
        <p className="lineage">
          Replay of <a {...linkProps(`/jobs/${job.replayOf.id}`)}>job {job.replayOf.id}</a>
          {job.replayOfAttempt && (
            <>
              {' '}
              (attempt {job.replayOfAttempt.attemptNumber}, {job.replayOfAttempt.errorType})
            </>
          )}
        </p>
      )}
      {job.replays.length > 0 && (
        <p className="lineage">
          Replayed by{' '}
          {job.replays.map((replayJob, index) => (
            <span key={replayJob.id}>
              {index > 0 && ', '}
              <a {...linkProps(`/jobs/${replayJob.id}`)}>job {replayJob.id}</a> ({replayJob.status})
            </span>
          ))}
        </p>
      )}
    </>
  );
}
