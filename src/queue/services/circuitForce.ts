/**
 * An operator forces an upstream's circuit OPEN (its jobs wait, for every process) or CLOSED
 * (calls go whatever fails), or gives it back to the breaker (AUTO, from CLOSED). Audited.
 */
import type { CircuitStatus, UpstreamCircuits } from '../circuits.js';
import type { QueueContext } from '../context.js';
import { InputError } from '../errors.js';
import { auditRow, type Actor } from './audit.js';

export async function circuitForce(
  context: QueueContext,
  circuits: Pick<UpstreamCircuits, 'status' | 'force'>,
  upstream: string,
  state: 'OPEN' | 'CLOSED' | 'AUTO',
  actor: Actor,
): Promise<CircuitStatus> {
  const known = circuits.status().map((status) => status.upstream);
  if (!known.includes(upstream)) {
    throw new InputError(`No upstream "${upstream.slice(0, 64)}" has a circuit breaker; ${known.length ? `these do: ${known.join(', ')}` : 'none has one'}.`, 'upstream');
  }
  const status = await circuits.force(upstream, state === 'AUTO' ? null : state);
  await context.db.auditEvent.create({ data: auditRow(actor, 'CIRCUIT', null, 'OK', context.now(), `${upstream}: ${state}`) });
  context.logger.info(
    { audit: { actor: actor.name, role: actor.role, action: 'CIRCUIT', outcome: 'OK' }, upstream, state, requestId: actor.requestId },
    'upstream circuit set by an operator',
  );
  return status;
}
