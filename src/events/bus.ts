/**
 * In-process event bus over the LiveEvents map. A throwing listener is logged and skipped, so a
 * bad subscriber can never break the worker or a mutation.
 */
import type { Logger } from 'pino';
import type { LiveEvents } from './events.js';

type Listener<K extends keyof LiveEvents> = (payload: LiveEvents[K]) => void;

export class EventBus {
  private readonly listeners = new Map<keyof LiveEvents, Set<Listener<never>>>();

  constructor(private readonly logger?: Logger) {}

  /** Returns a function that removes the listener. */
  on<K extends keyof LiveEvents>(key: K, listener: Listener<K>): () => void {
    let set = this.listeners.get(key);
    if (!set) this.listeners.set(key, (set = new Set()));
    set.add(listener as Listener<never>);
    return () => set.delete(listener as Listener<never>);
  }

  emit<K extends keyof LiveEvents>(key: K, payload: LiveEvents[K]): void {
    const set = this.listeners.get(key);
    if (!set) return;
    for (const listener of set) {
      try {
        (listener as Listener<K>)(payload);
      } catch (error) {
        this.logger?.error({ err: error, event: key }, 'event listener failed');
      }
    }
  }

  listenerCount(key: keyof LiveEvents): number {
    return this.listeners.get(key)?.size ?? 0;
  }
}
