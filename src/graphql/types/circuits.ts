/** The upstreams' circuit breakers: their state on metrics.upstreams, and an operator's override. */
import { circuitStates, type CircuitState } from '../../domain/index.js';
import type { CircuitStatus } from '../../queue/circuits.js';
import { InputError } from '../../queue/errors.js';
import { circuitForce } from '../../queue/services/circuitForce.js';
import { builder } from '../builder.js';
import { actingCaller } from '../mutations/results.js';

export const CircuitStateEnum = builder.enumType('CircuitState', {
  description: "An upstream's circuit breaker.",
  values: {
    CLOSED: { description: 'Calls go.' },
    OPEN: { description: 'The upstream is failing: the jobs that need it wait PENDING (phase UPSTREAM_OPEN), not run and not charged; a probe job goes every so often.' },
    HALF_OPEN: { description: 'One probe job is trying the upstream: a success closes the circuit, a failure opens it for longer.' },
  } satisfies Record<(typeof circuitStates)[number], { description: string }>,
});

const CircuitForceEnum = builder.enumType('CircuitForce', {
  description: 'What an operator sets a circuit to.',
  values: {
    OPEN: { description: 'Open until set otherwise: the jobs that need the upstream wait, and no probe goes.' },
    CLOSED: { description: 'Closed until set otherwise: calls go whatever they answer.' },
    AUTO: { description: 'Back to the breaker, from CLOSED.' },
  },
});

export const UpstreamCircuitRef = builder.objectRef<CircuitStatus>('UpstreamCircuit').implement({
  description: "An upstream's circuit breaker, as every process shares it.",
  fields: (t) => ({
    upstream: t.exposeString('upstream', { description: "The upstream's name." }),
    state: t.field({ type: CircuitStateEnum, description: 'Where it is.', resolve: (status) => status.state }),
    forced: t.exposeBoolean('forced', { description: 'An operator set it (setUpstreamCircuit): it does not change by itself.' }),
    failures: t.exposeInt('failures', { description: 'Retryable failures in a row, from every process, while CLOSED.' }),
    openedAt: t.expose('openedAt', { type: 'DateTime', nullable: true, description: 'When it opened.' }),
    retryAt: t.expose('retryAt', { type: 'DateTime', nullable: true, description: 'OPEN: when the next probe job may go.' }),
    lastError: t.exposeString('lastError', { nullable: true, description: 'Why it opened, or what the last failed probe got.' }),
  }),
});

builder.mutationField('setUpstreamCircuit', (t) =>
  t.field({
    type: UpstreamCircuitRef,
    description: "Force an upstream's circuit OPEN (for example for a maintenance window) or CLOSED, for every process, or give it back to the breaker (AUTO). Audited.",
    errors: { types: [InputError], directResult: true, union: { name: 'SetUpstreamCircuitResult', description: 'The outcome of setUpstreamCircuit.' } },
    args: {
      upstream: t.arg.string({ required: true, description: "The upstream's name (crm, billing, …)." }),
      state: t.arg({ type: CircuitForceEnum, required: true, description: 'OPEN, CLOSED or AUTO.' }),
    },
    resolve: async (_root, args, context) => circuitForce(context.queue, context.circuits, args.upstream, args.state, await actingCaller(context)),
  }),
);

/** The circuit of an upstream that has none: always CLOSED. */
export function circuitOf(statuses: readonly CircuitStatus[], upstream: string): CircuitState {
  return statuses.find((status) => status.upstream === upstream)?.state ?? 'CLOSED';
}
