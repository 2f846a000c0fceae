/** Real live clients: graphql-ws over a WebSocket, and SSE over fetch. */
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';

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

export function wsClient(url: string): Client {
  return createClient({ url: url.replace(/^http/, 'ws') + '/graphql', webSocketImpl: WebSocket, retryAttempts: 0, lazy: false });
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

/** Subscribes over SSE (Yoga's GraphQL over SSE, "distinct connections" mode). */
export function sseSubscribe<T = any>(url: string, query: string, variables?: Record<string, unknown>) {
  const collected = collector<T>();
  const abort = new AbortController();
  const field = /\{\s*(\w+)/.exec(query.replace(/^[^{]*/, ''))?.[1] ?? '';
  void (async () => {
    try {
      const response = await fetch(`${url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
        body: JSON.stringify({ query, variables }),
        signal: abort.signal,
      });
      const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (event === 'next' && data) {
            const result = JSON.parse(data);
            if (result.errors) collected.fail(result.errors);
            else collected.push(result.data[field]);
          } else if (event === 'complete') collected.complete();
        }
      }
      collected.complete();
    } catch (error) {
      if (!abort.signal.aborted) collected.fail(error);
    }
  })();
  return Object.assign(collected, { dispose: () => abort.abort() });
}
