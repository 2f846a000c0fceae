/**
 * Mutations per caller per minute (rate-limiter-flexible, in this process's memory): a script
 * gone wrong cannot flood the queue. Keyed by token name, or by address for anonymous callers.
 * Each process counts on its own; behind several API processes the effective limit is the sum.
 */
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { RateLimitedError } from './errors.js';

export class MutationRateLimiter {
  private readonly limiter: RateLimiterMemory | undefined;

  constructor(perMinute: number) {
    this.limiter = perMinute > 0 ? new RateLimiterMemory({ points: perMinute, duration: 60 }) : undefined;
  }

  /** Spends one mutation of `key`'s budget, or throws a RateLimitedError saying when to retry. */
  async spend(key: string): Promise<void> {
    if (!this.limiter) return;
    try {
      await this.limiter.consume(key);
    } catch (rejection) {
      if (rejection instanceof RateLimiterRes) throw new RateLimitedError(Math.max(1, Math.ceil(rejection.msBeforeNext / 1000)));
      throw rejection;
    }
  }
}
