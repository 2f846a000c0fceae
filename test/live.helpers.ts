/** Real live clients: graphql-ws over a WebSocket, and SSE over fetch. */
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { sseSubscribe as sseOverFetch } from '../client/src/sse.js';

export interface Collected<T> {
  items: T[];
  /** Resolves once `predicate` holds for the items so far. */
  until(predicate: (items: T[]) => boolean, timeoutMs?: number): Promise<T[]>;
  error: unknown;
  done: boolean;
}

function collector<T>(): Collected<T> & { push(item: T): void; fail(error: unknown): void; complete(): void } {
  const waiters = new Set<() => void>();
  const state = {
    items: [] as T[],
    error: undefined as unknown,
    done: false,
    push(item: T) {
      state.items.push(item);
      for (const waiter of waiters) waiter();
    },
    fail(error: unknown) {
      state.error = error;
      for (const waiter of waiters) waiter();
    },
    complete() {
      state.done = true;
      for (const waiter of waiters) waiter();
    },
    until(predicate: (items: T[]) => boolean, timeoutMs = 15_000) {
      return new Promise<T[]>((resolve, reject) => {
        const check = () => {
          if (predicate(state.items)) {
            cleanup();
            resolve(state.items);
          } else if (state.error || state.done) {
            cleanup();
            reject(new Error(`subscription ended first: ${state.error ? JSON.stringify(state.error) : 'completed'}; got ${JSON.stringify(state.items).slice(0, 500)}`));
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`timed out; got ${state.items.length} items: ${JSON.stringify(state.items.slice(-5)).slice(0, 800)}`));
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
  };
  return state;
}

export function wsClient(url: string, connectionParams?: Record<string, unknown>): Client {
  return createClient({ url: url.replace(/^http/, 'ws') + '/graphql', webSocketImpl: WebSocket, retryAttempts: 0, lazy: false, connectionParams });
}

/** Subscribes over graphql-ws; the returned object collects `data[field]` of every event. */
export function wsSubscribe<T = any>(client: Client, query: string, variables?: Record<string, unknown>) {
  const collected = collector<T>();
  const field = /\{\s*(\w+)/.exec(query.replace(/^[^{]*/, ''))?.[1] ?? '';
  const dispose = client.subscribe<Record<string, T>>(
    { query, variables },
    {
      next: (result) => (result.errors ? collected.fail(result.errors) : collected.push(result.data![field] as T)),
      error: (error) => collected.fail(error),
      complete: () => collected.complete(),
    },
  );
  return Object.assign(collected, { dispose });
}

/** Subscribes over SSE with the dashboard's own SSE client (client/src/sse.ts). */
export function sseSubscribe<T = any>(url: string, query: string, variables?: Record<string, unknown>, headers?: Record<string, string>) {
  const collected = collector<T>();
  const field = /\{\s*(\w+)/.exec(query.replace(/^[^{]*/, ''))?.[1] ?? '';
  const { unsubscribe } = sseOverFetch(
    { query, variables },
    {
      next: (result) => (result.errors ? collected.fail(result.errors) : collected.push((result.data as Record<string, T>)[field] as T)),
      error: (error) => collected.fail(error),
      complete: () => collected.complete(),
    },
    `${url}/graphql`,
    headers,
  );
  return Object.assign(collected, { dispose: unsubscribe });
}
