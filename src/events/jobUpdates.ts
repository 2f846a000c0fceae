/**
 * Fan-out of job transitions to subscriptions. One bus listener serves every subscription
 * (indexed by job id, plus the filtered streams), so a transition costs a map lookup and a scan
 * of the stream subscriptions, not one listener call per subscriber.
 *
 * Slow consumers: each subscription buffers at most `maxBuffered` updates. When a consumer falls
 * that far behind, its buffer is compacted to the latest state of each job (older intermediate
 * states are dropped, a job's latest state never is). If it still holds more than `maxBuffered`
 * distinct jobs, the subscription ends with a SubscriberTooSlowError: the client should
 * resubscribe (with an id, it starts again from the job's current state).
 *
 * Crossed news: one process's transitions arrive in order, but two processes' may cross. An API
 * process hears of its own enqueue or retry only when the database answers the commit; by then
 * a worker elsewhere may have claimed the job, run it, and its news arrived first. So the hub
 * remembers, per job, the attempt count it last delivered and from which process, and drops a
 * state with fewer attempts from another process: a stale one (within one process attempts may
 * go down, a claimed job put back uncharged, and that state is the news).
 */
import type { Job } from '../db/types.js';
import type { EventBus } from './bus.js';
import type { JobStatus, JobTransition } from './events.js';
import { PushIterator } from './pushIterator.js';
import { liveBounds } from './backpressure.js';

export interface JobUpdateFilter {
  id?: number;
  statuses?: readonly JobStatus[];
  jobType?: string;
}

export { SubscriberTooSlowError } from './pushIterator.js';

export class JobSubscription extends PushIterator<Job> {
  /** Updates dropped by compaction (intermediate states of jobs the consumer had not read yet). */
  coalesced = 0;

  constructor(
    readonly filter: JobUpdateFilter,
    maxBuffered: number,
    onClose: (subscription: JobSubscription) => void,
  ) {
    super(maxBuffered, () => onClose(this));
  }

  matches(job: Job): boolean {
    const { id, statuses, jobType } = this.filter;
    if (id !== undefined && job.id !== id) return false;
    if (statuses?.length && !statuses.includes(job.status as JobStatus)) return false;
    if (jobType && job.jobType !== jobType) return false;
    return true;
  }

  /** Too far behind: keep only each job's latest state; still too far: drop the subscriber. */
  protected override overflow(): void {
    const latest = new Map<number, Job>();
    for (const job of this.buffer) {
      latest.delete(job.id);
      latest.set(job.id, job);
    }
    this.coalesced += this.buffer.length - latest.size;
    this.buffer = [...latest.values()];
    if (this.buffer.length > this.limit) super.overflow();
  }
}

/** Jobs whose last delivered state is remembered; crossing news is milliseconds apart. */
const rememberedJobs = liveBounds.rememberedJobs;

export class JobUpdateHub {
  private readonly byJobId = new Map<number, Set<JobSubscription>>();
  private readonly streams = new Set<JobSubscription>();
  private readonly off: () => void;
  /** Per job, the last state delivered: its attempt count and the process it came from (undefined: this one). Oldest first. */
  private readonly delivered = new Map<number, { attemptCount: number; origin: string | undefined }>();
  /** States dropped as older than one already delivered from another process. */
  staleDropped = 0;
  /** Until news from another process arrives, nothing can cross: a single process keeps no bookkeeping. */
  private heardFromOthers = false;

  constructor(
    private readonly bus: EventBus,
    private readonly maxBuffered: number = liveBounds.subscriptionBuffer,
  ) {
    this.off = bus.on('job:transitions', (transitions) => {
      if (!this.streams.size && !this.byJobId.size) return;
      for (const transition of transitions) this.dispatch(transition);
    });
  }

  /** Active subscriptions (for metrics, and for tests that check nothing leaks). */
  get size(): number {
    let count = this.streams.size;
    for (const set of this.byJobId.values()) count += set.size;
    return count;
  }

  subscribe(filter: JobUpdateFilter): JobSubscription {
    const subscription = new JobSubscription(filter, this.maxBuffered, (closed) => this.remove(closed));
    if (filter.id !== undefined) {
      let set = this.byJobId.get(filter.id);
      if (!set) this.byJobId.set(filter.id, (set = new Set()));
      set.add(subscription);
    } else this.streams.add(subscription);
    this.bus.emit('subscription:started', { kind: 'jobUpdated' });
    return subscription;
  }

  private remove(subscription: JobSubscription): void {
    const id = subscription.filter.id;
    if (id === undefined) {
      this.streams.delete(subscription);
      return;
    }
    const set = this.byJobId.get(id);
    set?.delete(subscription);
    if (set && !set.size) this.byJobId.delete(id);
  }

  private dispatch({ job, origin }: JobTransition): void {
    if (origin !== undefined) this.heardFromOthers = true;
    if (this.heardFromOthers && this.isStale(job, origin)) return;
    const byId = this.byJobId.get(job.id);
    if (byId) for (const subscription of byId) if (subscription.matches(job)) subscription.push(job);
    for (const subscription of this.streams) if (subscription.matches(job)) subscription.push(job);
  }

  /** Whether another process already delivered a later state of this job (else remembers this one as the last). */
  private isStale(job: Job, origin: string | undefined): boolean {
    const last = this.delivered.get(job.id);
    if (last) {
      if (job.attemptCount < last.attemptCount && origin !== last.origin) {
        this.staleDropped += 1;
        return true;
      }
      this.delivered.delete(job.id); // re-inserted below: the newest last
    } else if (this.delivered.size >= rememberedJobs) this.delivered.delete(this.delivered.keys().next().value!);
    this.delivered.set(job.id, { attemptCount: job.attemptCount, origin });
    return false;
  }

  close(): void {
    this.off();
    for (const subscription of [...this.streams]) void subscription.return();
    for (const set of [...this.byJobId.values()]) for (const subscription of [...set]) void subscription.return();
  }
}
