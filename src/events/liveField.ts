/**
 * What a subscription field declares about its events (its `extensions.live`), for the server's
 * live engine: how a new subscriber starts and how events are keyed, so one execution per event
 * can serve every identical subscription (src/server/live/engine.ts).
 */
export interface LiveFieldExtension<Payload = unknown> {
  /** The current state a new subscriber starts from (null: nothing to start from). Errors are GraphQLErrors. */
  snapshot?(args: Record<string, unknown>, context: unknown): Promise<Payload | null>;
  /** The entity an event is about: a slow subscriber's backlog keeps only the latest per key. */
  key(payload: Payload): string | number;
  /** Whether an event that arrived while the snapshot was read is newer than the snapshot. */
  newer?(payload: Payload, snapshot: Payload): boolean;
}
