/** The live connection's state, for the header indicator and for refetching after a reconnect. */
import { useSyncExternalStore } from 'react';

export type ConnectionState = 'connecting' | 'live' | 'reconnecting' | 'sse';

let state: ConnectionState = 'connecting';
/** Bumps each time the live connection comes back, so pages refetch their snapshots. */
let generation = 0;
const listeners = new Set<() => void>();

export const connection = {
  set(next: ConnectionState, reconnected = false) {
    if (next === state && !reconnected) return;
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

export function useReconnectGeneration(): number {
  return useSyncExternalStore(subscribe, () => generation);
}
