/**
 * Who sent each HTTP request and under which id, handed from the route (which authenticates and
 * reads the body) to Yoga's context factory, and request ids for requests made in-process.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Principal } from '../../auth/principal.js';

export interface Caller {
  principal: Principal;
  remoteAddress: string | undefined;
  requestId: string;
}

export const callers = new WeakMap<IncomingMessage, Caller>();

const requestIds = new WeakMap<Request, string>();
const requestIdPattern = /^[A-Za-z0-9._-]{1,128}$/;

/** The id of a request made in-process (yoga.fetch): its `x-request-id`, when sane, or a new one. */
export function fetchRequestIdOf(request: Request): string {
  let id = requestIds.get(request);
  if (!id) {
    const given = request.headers.get('x-request-id');
    id = given && requestIdPattern.test(given) ? given : randomUUID();
    requestIds.set(request, id);
  }
  return id;
}
