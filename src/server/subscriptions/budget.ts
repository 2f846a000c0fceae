/**
 * How many subscriptions this process holds, WebSocket and SSE together: each costs a buffer and
 * a share of every event's fan-out, so the total is capped and a client beyond it gets an error
 * naming the limit instead of degrading everyone else.
 */
import { GraphQLError } from 'graphql';

export class SubscriptionBudget {
  active = 0;

  constructor(readonly max: number) {}

  /** Takes one slot; false when the process is full. */
  acquire(): boolean {
    if (this.active >= this.max) return false;
    this.active += 1;
    return true;
  }

  release(): void {
    this.active = Math.max(0, this.active - 1);
  }

  fullError(): GraphQLError {
    return new GraphQLError(`The server holds its maximum of ${this.max} subscriptions (SYNCBRIDGE_MAX_SUBSCRIPTIONS); try again later.`, {
      extensions: { code: 'SUBSCRIPTION_LIMIT', limit: 'maxSubscriptions', max: this.max },
    });
  }
}
