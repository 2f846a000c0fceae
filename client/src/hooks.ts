/** Small hooks the pages share. */
import { useEffect } from 'react';
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
