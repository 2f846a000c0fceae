/**
 * Live fan-out: every distinct subscription (document, operation, variables) is executed once
 * per event, whatever the number of its subscribers, and encoded once per transport; each
 * subscriber only receives bytes. The stock recipe re-executes every event per subscriber, which
 * tops out near 30-45k deliveries a second on two cores; here an event costs one execution plus a
 * write per socket.
 *
 * A group's source is the field's own `subscribe` resolver (called once), drained synchronously: from the commit to the socket write there is no timer and no
 * extra query, unless the selection asks for relations the event does not carry. A field may
 * declare `extensions.live` (src/graphql/types/subscriptions.ts): `snapshot` gives each new
 * subscriber its own first event (a job's committed state) before it joins the shared stream,
 * `key` names the entity an event is about (for compaction), `newer` tells buffered events apart
 * from the snapshot they follow.
 */
import {
  createSourceEventStream,
  execute,
  getArgumentValues,
  getOperationAST,
  GraphQLError,
  print,
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  type FieldNode,
  type GraphQLField,
  type GraphQLSchema,
} from 'graphql';
import type { Logger } from 'pino';
import type { LiveFieldExtension } from '../../events/liveField.js';
import { PushIterator } from '../../events/pushIterator.js';
import { liveBounds } from '../../events/backpressure.js';
import { textFrameHeader } from './wsFrame.js';

/** One event, encoded once and shared by every subscriber of the group. */
export class LiveEvent {
  private sseFrame: Buffer | undefined;
  private wsTail: Buffer | undefined;
  private header: { length: number; bytes: Buffer } | undefined;

  constructor(
    /** The execution result as JSON. */
    readonly json: string,
    /** The entity it is about (compaction key). */
    readonly key: string | number,
  ) {}

  /** `event: next` with the result, identical for every SSE subscriber. */
  get sse(): Buffer {
    return (this.sseFrame ??= Buffer.from(`event: next\ndata: ${this.json}\n\n`));
  }

  /** The graphql-ws `next` message after its id: `,"type":"next","payload":…}`, spliced after each subscriber's own id. */
  get ws(): Buffer {
    return (this.wsTail ??= Buffer.from(`,"type":"next","payload":${this.json}}`));
  }

  /** The WebSocket frame header for this message after an id prefix of `prefixLength` bytes (the same for every subscriber whose id is as long). */
  wsHeader(prefixLength: number): Buffer {
    const length = prefixLength + this.ws.length;
    if (this.header?.length !== length) this.header = { length, bytes: textFrameHeader(length) };
    return this.header.bytes;
  }
}

/** A subscriber, as its transport sees it. */
export interface LiveMember {
  next(event: LiveEvent): void;
  /** The subscription failed (after it started): its errors, then it is over. */
  error(errors: readonly GraphQLError[]): void;
  /** The source ended (the server is shutting down). */
  complete(): void;
}

export interface LiveSubscription {
  unsubscribe(): void;
}

/**
 * A member of a group: the one place a subscriber starts from its snapshot, then gets the shared
 * events that are newer than it (those that arrived while the snapshot was read wait here).
 */
class Entry {
  /** Events that arrived while this member's snapshot was being read. */
  private pending: { event: LiveEvent; payload: unknown }[] | undefined = [];
  /** Waiting events dropped at the bound (the snapshot being read is newer than them). */
  dropped = 0;

  constructor(
    readonly member: LiveMember,
    private readonly logger: Logger,
  ) {}

  deliver(event: LiveEvent, payload: unknown): void {
    if (!this.pending) return this.member.next(event);
    this.pending.push({ event, payload });
    if (this.pending.length <= liveBounds.snapshotPending) return;
    // A snapshot that never comes must not grow without bound: the oldest go (its snapshot is newer).
    this.pending.shift();
    if (this.dropped++ === 0) this.logger.warn({ bound: liveBounds.snapshotPending }, 'a subscriber waits long for its snapshot: the oldest waiting events were dropped');
  }

  /** The snapshot is out (or there is none): what queued meanwhile follows, if newer. */
  open(snapshot: unknown, newer: ((payload: unknown, snapshot: unknown) => boolean) | undefined): void {
    const pending = this.pending ?? [];
    this.pending = undefined;
    for (const { event, payload } of pending) if (snapshot === undefined || !newer || newer(payload, snapshot)) this.member.next(event);
  }
}

class Group {
  readonly entries = new Set<Entry>();
  private source: AsyncIterator<unknown> | undefined;
  /** Executions not yet delivered: events are delivered in order even when one executes asynchronously. */
  private chain: Promise<void> | undefined;
  private inFlight = 0;
  private starting: Promise<readonly GraphQLError[] | undefined> | undefined;
  stopped = false;

  constructor(
    readonly key: string,
    private readonly args: ExecutionArgs,
    readonly live: LiveFieldExtension | undefined,
    private readonly logger: Logger,
    private readonly counters: Counters,
    private readonly onEmpty: (group: Group) => void,
  ) {}

  /** The source has started, or could not: its errors (a bad id, a refused field). */
  get started(): Promise<readonly GraphQLError[] | undefined> {
    return (this.starting ??= this.start().then(
      (errors) => {
        if (errors) this.stop();
        return errors;
      },
      (error: unknown) => {
        this.stop();
        throw error;
      },
    ));
  }

  private async start(): Promise<readonly GraphQLError[] | undefined> {
    const source = await createSourceEventStream(this.args);
    if (!(Symbol.asyncIterator in (source as object))) return (source as ExecutionResult).errors ?? [new GraphQLError('The subscription could not start.')];
    const iterator = source as AsyncIterableIterator<unknown>;
    this.source = iterator;
    if (this.stopped) {
      void iterator.return?.();
      return undefined;
    }
    if (iterator instanceof PushIterator) {
      // Synchronous: an event reaches the sockets in the turn it was committed in.
      iterator.drainTo((payload) => this.onPayload(payload));
      if (iterator.isClosed) this.end();
    } else {
      void (async () => {
        try {
          for await (const payload of iterator) this.onPayload(payload);
          this.end();
        } catch (error) {
          this.fail(error);
        }
      })();
    }
    return undefined;
  }

  join(member: LiveMember): Entry {
    const entry = new Entry(member, this.logger);
    this.entries.add(entry);
    return entry;
  }

  leave(entry: Entry): void {
    this.entries.delete(entry);
    if (!this.entries.size) this.stop();
  }

  /** Executes the operation once for this event and hands the same bytes to every member. */
  onPayload(payload: unknown): void {
    if (this.stopped) return;
    let result: ReturnType<typeof execute>;
    try {
      result = execute({ ...this.args, rootValue: payload });
      this.counters.executions += 1;
    } catch (error) {
      return this.fail(error);
    }
    if (!this.inFlight && !isPromise(result)) return this.deliver(payload, result);
    // Asynchronous (a relation to load): keep the order of events.
    this.inFlight += 1;
    const ready = Promise.resolve(result);
    const previous = this.chain ?? Promise.resolve();
    this.chain = previous.then(async () => {
      try {
        this.deliver(payload, await ready);
      } catch (error) {
        this.fail(error);
      } finally {
        this.inFlight -= 1;
      }
    });
  }

  private deliver(payload: unknown, result: ExecutionResult): void {
    let event: LiveEvent;
    try {
      event = new LiveEvent(JSON.stringify(result), this.live ? this.live.key(payload) : 0);
    } catch (error) {
      return this.fail(error);
    }
    for (const entry of this.entries) {
      try {
        entry.deliver(event, payload);
      } catch (error) {
        // One member's transport failing must not stop the others.
        this.logger.warn({ err: error }, 'a live subscriber could not take an event');
      }
    }
  }

  /** Executes the operation for one member's snapshot and sends it to that member alone. */
  async snapshotFor(entry: Entry, snapshot: unknown): Promise<void> {
    this.counters.executions += 1;
    const result = await execute({ ...this.args, rootValue: snapshot });
    entry.member.next(new LiveEvent(JSON.stringify(result), this.live ? this.live.key(snapshot) : 0));
  }

  private fail(error: unknown): void {
    // Unexpected: the stream ends for its members with a masked error; the process carries on.
    this.logger.error({ err: error, subscription: this.key.slice(0, 200) }, 'a live subscription failed');
    const errors = [new GraphQLError('Unexpected error.')];
    for (const entry of [...this.entries]) entry.member.error(errors);
    this.entries.clear();
    this.stop();
  }

  private end(): void {
    for (const entry of [...this.entries]) entry.member.complete();
    this.entries.clear();
    this.stop();
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.onEmpty(this);
    void this.source?.return?.();
  }
}

function isPromise<T>(value: T | Promise<T>): value is Promise<T> {
  return typeof (value as { then?: unknown })?.then === 'function';
}

/** Subscriptions that may share one execution: same document, operation and variables. */
export function shareKey(args: Pick<ExecutionArgs, 'document' | 'operationName' | 'variableValues'>): string {
  return `${args.operationName ?? ''}\n${JSON.stringify(args.variableValues ?? {})}\n${print(args.document as DocumentNode)}`;
}

interface Counters {
  /** Operations executed (shared events and snapshots), since start. */
  executions: number;
}

export class LiveEngine {
  private readonly groups = new Map<string, Group>();
  private readonly counters: Counters = { executions: 0 };

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly logger: Logger,
  ) {}

  /** Subscribers and the shared executions serving them. */
  get stats(): { members: number; groups: number } {
    let members = 0;
    for (const group of this.groups.values()) members += group.entries.size;
    return { members, groups: this.groups.size };
  }

  /** Operations executed since start: one per event per group, plus one per subscriber's snapshot. */
  get executions(): number {
    return this.counters.executions;
  }

  /**
   * Starts `member` on a validated subscription operation: its snapshot first (if the field has
   * one), then every event of the shared execution. Errors are returned for the transport to send.
   */
  async subscribe(args: ExecutionArgs, member: LiveMember): Promise<LiveSubscription | readonly GraphQLError[]> {
    const operation = getOperationAST(args.document, args.operationName);
    const fieldNode = operation?.selectionSet.selections[0] as FieldNode | undefined;
    const field = fieldNode && this.schema.getSubscriptionType()?.getFields()[fieldNode.name.value];
    if (!operation || operation.operation !== 'subscription' || !fieldNode || !field) return [new GraphQLError('Not a subscription operation.')];
    const live = field.extensions.live as LiveFieldExtension | undefined;

    // Callers of different roles never share (their results could differ).
    const key = `${(args.contextValue as { principal?: { role?: string } }).principal?.role ?? ''}\n${shareKey(args)}`;
    let group = this.groups.get(key);
    if (!group || group.stopped) {
      group = new Group(key, args, live, this.logger, this.counters, (stopped) => {
        if (this.groups.get(key) === stopped) this.groups.delete(key);
      });
      this.groups.set(key, group);
    }
    // Join before the source starts and before the snapshot is read: nothing between is missed.
    const entry = group.join(member);
    // Whoever joins while the source is starting waits for it, and shares its errors.
    let errors: readonly GraphQLError[] | undefined;
    try {
      errors = await group.started;
    } catch (error) {
      group.leave(entry);
      throw error;
    }
    if (errors) {
      group.leave(entry);
      return errors;
    }
    let snapshot: unknown;
    if (live?.snapshot) {
      try {
        snapshot = (await live.snapshot(argumentsOf(field, fieldNode, args.variableValues), args.contextValue)) ?? undefined;
      } catch (error) {
        group.leave(entry);
        if (error instanceof GraphQLError) return [error];
        throw error;
      }
      if (snapshot !== undefined) await group.snapshotFor(entry, snapshot);
    }
    entry.open(snapshot, live?.newer);
    let left = false;
    return {
      unsubscribe: () => {
        if (left) return;
        left = true;
        group.leave(entry);
      },
    };
  }

  close(): void {
    for (const group of [...this.groups.values()]) group.stop();
  }
}

function argumentsOf(field: GraphQLField<unknown, unknown>, node: FieldNode, variables: ExecutionArgs['variableValues']): Record<string, unknown> {
  return getArgumentValues(field, node, (variables ?? {}) as Record<string, unknown>);
}
