/**
 * Request bodies, read within bounds and parsed once. A body costs its bytes while it is read and
 * parsed, so the bytes in flight over all requests are bounded too (a burst of large bodies gets
 * 503 instead of the process's memory). The JSON is parsed here and handed to Yoga as an object:
 * given the raw Buffer, @whatwg-node/server ran `Object.keys` over it (every byte an index key),
 * 854 ms of CPU for one 4 MB body, measured; a parsed object costs it four keys.
 */
import type { IncomingMessage } from 'node:http';

/** Bytes of request bodies held at once, over all requests. */
export class BodyBudget {
  held = 0;

  constructor(readonly maxBytes: number) {}

  tryReserve(bytes: number): boolean {
    if (this.held + bytes > this.maxBytes) return false;
    this.held += bytes;
    return true;
  }

  release(bytes: number): void {
    this.held = Math.max(0, this.held - bytes);
  }
}

export type BodyRead =
  | { ok: true; body: Buffer; release(): void }
  /** too-large: over the request's limit (413); busy: the budget over all requests is spent (503). */
  | { ok: false; reason: 'too-large' | 'busy' };

/**
 * The request body, unless it passes `maxBytes` or the budget runs out while it arrives (the rest
 * is not read; answer, then close the connection). A declared Content-Length is checked unread.
 * The caller calls `release()` once it no longer holds the bytes.
 */
export function readBodyWithin(req: IncomingMessage, maxBytes: number, budget: BodyBudget): Promise<BodyRead> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) return Promise.resolve({ ok: false, reason: 'too-large' });
  let reserved = 0;
  const release = () => {
    budget.release(reserved);
    reserved = 0;
  };
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
    };
    const refuse = (reason: 'too-large' | 'busy') => {
      done();
      release();
      req.pause();
      resolve({ ok: false, reason });
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) return refuse('too-large');
      if (!budget.tryReserve(chunk.length)) return refuse('busy');
      reserved += chunk.length;
      chunks.push(chunk);
    };
    const onEnd = () => {
      done();
      resolve({ ok: true, body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks), release });
    };
    const onError = (error: Error) => {
      done();
      release();
      reject(error);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
  });
}

/** Deepest nesting of arrays and objects accepted in a request (GraphQL's own coercion recurses per level). */
export const maxJsonDepth = 64;

/** Whether `value` nests arrays and objects deeper than `max` (iterative: a hostile depth cannot overflow the stack here). */
export function nestsDeeperThan(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length) {
    const [node, depth] = stack.pop()!;
    if (node === null || typeof node !== 'object') continue;
    if (depth >= max) return true;
    for (const child of Array.isArray(node) ? node : Object.values(node as Record<string, unknown>)) {
      if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
    }
  }
  return false;
}

export type ParsedBody = { ok: true; value: Record<string, unknown> } | { ok: false; message: string };

/** A GraphQL-over-HTTP POST body: one JSON object, not too deep. */
export function parseOperationBody(body: Buffer): ParsedBody {
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch (error) {
    return { ok: false, message: `The request body is not valid JSON: ${(error as Error).message.slice(0, 200)}` };
  }
  if (Array.isArray(value)) return { ok: false, message: 'Batched requests (a JSON array) are not supported: send one operation per request.' };
  if (value === null || typeof value !== 'object') return { ok: false, message: 'The request body must be a JSON object with a "query".' };
  if (!Object.keys(value).length) return { ok: false, message: 'The request body must be a JSON object with a "query".' };
  if (nestsDeeperThan(value, maxJsonDepth)) return { ok: false, message: `The request nests arrays or objects deeper than ${maxJsonDepth} levels.` };
  return { ok: true, value: value as Record<string, unknown> };
}
