/**
 * Executes each distinct stream subscription once, whatever the number of its subscribers: the
 * first subscriber to `jobUpdated(status, jobType)` with a given document and variables starts
 * one GraphQL execution; later identical ones join it and receive the same ExecutionResult
 * objects. The stock recipe executes every event once per subscriber, which caps fan-out near
 * 30–45k deliveries/s on two cores; this makes execution cost independent of the audience.
 *
 * Not shared: `jobUpdated(id:)` and `metricsUpdated`, whose first event is the current state for
 * that subscriber (a late joiner of a shared execution would miss it).
 *
 * Each member has a bounded queue (`maxQueued` results); a member that falls that far behind
 * (its socket is not draining) gets SubscriberTooSlowError and leaves, without slowing the others.
 */
import { print, type DocumentNode, type ExecutionArgs, type ExecutionResult, type OperationDefinitionNode } from 'graphql';
import { PushIterator } from '../live/pushIterator.js';

type Member = PushIterator<ExecutionResult>;

type Source = AsyncIterableIterator<ExecutionResult> | ExecutionResult;

class Group {
  readonly members = new Set<Member>();
  private source: AsyncIterableIterator<ExecutionResult> | undefined;

  constructor(
    private readonly onEmpty: () => void,
    private readonly maxQueued: number,
  ) {}

  join(): Member {
    const member: Member = new PushIterator<ExecutionResult>(this.maxQueued, () => {
      this.members.delete(member);
      if (!this.members.size) this.stop();
    });
    this.members.add(member);
    return member;
  }

  async run(start: () => Promise<Source>): Promise<ExecutionResult | undefined> {
    const source = await start();
    if (!(Symbol.asyncIterator in source)) return source; // an error result: not shared
    this.source = source;
    void (async () => {
      try {
        for await (const result of source) for (const member of this.members) member.push(result);
      } finally {
        for (const member of [...this.members]) member.end();
        this.stop();
      }
    })();
    return undefined;
  }

  private stop(): void {
    this.onEmpty();
    void this.source?.return?.();
    this.source = undefined;
  }
}

/** Which subscriptions may share one execution: `jobUpdated` without `id`. */
export function shareKey(args: ExecutionArgs): string | undefined {
  const operation = (args.document as DocumentNode).definitions.find(
    (node): node is OperationDefinitionNode => node.kind === 'OperationDefinition' && (!args.operationName || node.name?.value === args.operationName),
  );
  if (operation?.operation !== 'subscription') return undefined;
  const fields = operation.selectionSet.selections;
  if (fields.length !== 1 || fields[0]!.kind !== 'Field' || fields[0]!.name.value !== 'jobUpdated') return undefined;
  if (fields[0]!.arguments?.some((argument) => argument.name.value === 'id')) return undefined;
  return `${args.operationName ?? ''}\n${JSON.stringify(args.variableValues ?? {})}\n${print(args.document)}`;
}

export class SharedSubscriptions {
  private readonly groups = new Map<string, Group>();

  constructor(private readonly maxQueued = 1_000) {}

  /** Subscribers currently served by shared executions, and the executions serving them. */
  get stats(): { members: number; groups: number } {
    let members = 0;
    for (const group of this.groups.values()) members += group.members.size;
    return { members, groups: this.groups.size };
  }

  async subscribe(args: ExecutionArgs, start: () => Promise<Source>): Promise<Source> {
    const key = shareKey(args);
    if (key === undefined) return start();
    let group = this.groups.get(key);
    if (group) return group.join();
    group = new Group(() => {
      if (this.groups.get(key) === group) this.groups.delete(key);
    }, this.maxQueued);
    this.groups.set(key, group);
    const member = group.join();
    const failed = await group.run(start);
    if (failed) {
      await member.return();
      return failed;
    }
    return member;
  }
}
