/** The CLI's only way in: the server's GraphQL API over HTTP, and graphql-ws for `watch`. */
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

export interface ApiOptions {
  url: string;
  token?: string;
}

export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    message: string,
    /** The GraphQL error's extensions.code, when the server gave one (e.g. NOT_FOUND). */
    readonly code?: string,
  ) {
    super(message);
  }
}

type GraphQLErrorLike = { message: string; extensions?: { code?: string } };

export async function request<T>(options: ApiOptions, query: string, variables?: Record<string, unknown>): Promise<T> {
  let response: Response;
  try {
    response = await fetch(options.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/graphql-response+json, application/json',
        ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      },
      body: JSON.stringify({ query, variables }),
    });
  } catch (error) {
    throw new ApiError(`Cannot reach ${options.url}: ${(error as Error).message}. Is the server running? (--url or SYNCBRIDGE_URL)`);
  }
  const text = await response.text();
  let body: { data?: T; errors?: GraphQLErrorLike[] };
  try {
    body = JSON.parse(text);
  } catch {
    throw new ApiError(`${options.url} answered ${response.status} with something that is not GraphQL: ${text.slice(0, 200)}`);
  }
  if (body.errors?.length) {
    const [first] = body.errors as [GraphQLErrorLike];
    // A variable the schema refuses (a job type this server does not have, a bad enum value) is the caller's input at fault.
    const code = first.extensions?.code ?? (/^Variable "\$\w+" got invalid value/.test(first.message) ? 'BAD_USER_INPUT' : undefined);
    throw new ApiError(body.errors.map((error) => error.message).join('; '), code);
  }
  if (!body.data) throw new ApiError(`${options.url} answered ${response.status} without data`);
  return body.data;
}

export function subscribe<T>(options: ApiOptions, query: string, variables: Record<string, unknown>, sink: { next(value: T): void; error(error: Error): void }): () => void {
  const client = createClient({
    url: options.url.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    connectionParams: options.token ? { authorization: `Bearer ${options.token}` } : undefined,
    retryAttempts: 5,
  });
  const dispose = client.subscribe<T>(
    { query, variables },
    {
      next: (result) => {
        const errors = result.errors as readonly GraphQLErrorLike[] | undefined;
        if (errors?.length) sink.error(new ApiError(errors.map((error) => error.message).join('; '), errors[0]?.extensions?.code));
        else if (result.data) sink.next(result.data as T);
      },
      error: (error) => {
        const errors = Array.isArray(error) ? (error as GraphQLErrorLike[]) : undefined;
        if (errors?.length) sink.error(new ApiError(errors.map((e) => e.message).join('; '), errors[0]?.extensions?.code));
        else sink.error(error instanceof Error ? error : new ApiError(describeClose(error)));
      },
      complete: () => {},
    },
  );
  return () => {
    dispose();
    void client.dispose();
  };
}

function describeClose(error: unknown): string {
  if (error && typeof error === 'object' && 'code' in error)
    return `connection closed (${(error as { code: number; reason?: string }).code} ${(error as { reason?: string }).reason ?? ''})`;
  return Array.isArray(error) ? error.map((e: { message?: string }) => e.message).join('; ') : String(error);
}
