/**
 * GraphQL over SSE (the server's "distinct connections" mode), for networks where the WebSocket
 * cannot connect: one POST per subscription, events read from the response stream.
 */
import type { ExecutionResult } from 'graphql-ws';

export interface Sink {
  next(value: ExecutionResult): void;
  error(error: unknown): void;
  complete(): void;
}

export function sseSubscribe(
  request: { query: string; variables?: Record<string, unknown>; operationName?: string },
  sink: Sink,
  /** The GraphQL endpoint (the page's own by default). */
  url = '/graphql',
  /** Sent with the request (the API token's authorization). */
  headers: Record<string, string> = {},
) {
  const abort = new AbortController();
  void (async () => {
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...headers },
        body: JSON.stringify(request),
        signal: abort.signal,
      });
      // A refused operation (a limit, a bad token) still answers as an event stream carrying its errors.
      const isStream = response.headers.get('content-type')?.includes('text/event-stream');
      if (!response.body || (!response.ok && !isStream)) throw new Error(`SSE request failed with ${response.status}`);
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
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
          if (event === 'next' && data) sink.next(JSON.parse(data) as ExecutionResult);
          if (event === 'complete') return sink.complete();
        }
      }
      sink.complete();
    } catch (error) {
      if (!abort.signal.aborted) sink.error(error);
    }
  })();
  return { unsubscribe: () => abort.abort() };
}
