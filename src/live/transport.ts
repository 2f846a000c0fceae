/** A cross-process channel for live events: PostgreSQL LISTEN/NOTIFY or Redis pub/sub. */
export interface LiveTransport {
  readonly name: string;
  /** Largest payload it carries. */
  readonly maxPayloadBytes: number;
  publish(payload: string): Promise<void>;
  /** Starts delivering payloads published by any process (this one included). */
  subscribe(onMessage: (payload: string) => void): Promise<void>;
  close(): Promise<void>;
}
