/** Small hooks the pages share. */
import { useEffect, useRef } from 'react';
import { useReconnectGeneration } from './connection';

/**
 * Reads again from the server after the live connection came back: events sent while it was
 * away were not received, so the snapshot is refreshed (subscriptions resume on their own).
 */
export function useRefetchOnReconnect(refetch: (options: { requestPolicy: 'network-only' }) => void): void {
  const generation = useReconnectGeneration();
  useEffect(() => {
    if (generation) refetch({ requestPolicy: 'network-only' });
  }, [generation, refetch]);
}

/**
 * Keeps a live list's membership current: when an update shows a job entering or leaving the
 * list (`belongs` differs from `shown`), reads the list again, at most every 300 ms. Graphcache
 * already patches the rows the list holds; only membership needs the server (its order and
 * totalCount). Not as a Graphcache updater invalidating the list per event: under a burst of
 * new jobs that refetched once per event, where this reads at most three times a second.
 */
export function useMembershipRefetch<T>(update: T | undefined, changes: (update: T) => boolean, refetch: (options: { requestPolicy: 'network-only' }) => void): void {
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  useEffect(() => {
    if (update === undefined || timer.current || !changes(update)) return;
    timer.current = setTimeout(() => {
      timer.current = undefined;
      refetch({ requestPolicy: 'network-only' });
    }, 300);
  }, [update]); // eslint-disable-line react-hooks/exhaustive-deps
  useEffect(() => () => clearTimeout(timer.current), []);
}
