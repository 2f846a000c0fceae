/** The live connection's state, for the header indicator and for refetching after a reconnect. */
import { useSyncExternalStore } from 'react';

export type ConnectionState = 'connecting' | 'live' | 'reconnecting' | 'sse';

let state: ConnectionState = 'connecting';
/** When a live connection was lost (null while live, or before it ever was): what is shown dates from then. */
let lostAt: number | null = null;
/** Bumps each time the live connection comes back, so pages refetch their snapshots. */
let generation = 0;
const listeners = new Set<() => void>();

export const connection = {
  set(next: ConnectionState, reconnected = false) {
    if (next === state && !reconnected) return;
    if ((state === 'live' || state === 'sse') && next === 'reconnecting') lostAt = Date.now();
    if (next === 'live' || next === 'sse') lostAt = null;
    state = next;
    if (reconnected) generation += 1;
    for (const listener of listeners) listener();
  },
  get: () => state,
};

const subscribe = (listener: () => void) => {
  listeners.add(listener);
  return () => listeners.delete(listener);
};

export function useConnectionState(): ConnectionState {
  return useSyncExternalStore(subscribe, () => state);
}

/** Since when the page's data may be out of date (the live connection lost), or null. */
export function useStaleSince(): number | null {
  return useSyncExternalStore(subscribe, () => lostAt);
}

export function useReconnectGeneration(): number {
  return useSyncExternalStore(subscribe, () => generation);
}
