/** Which subscriptions may share one execution in the live engine. */
import { parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { shareKey } from '../src/server/subscriptions/engine.js';

describe('shareKey', () => {
  const key = (query: string, variableValues?: Record<string, unknown>, operationName?: string) => shareKey({ document: parse(query), variableValues, operationName });

  it('is the same for the same operation written differently', () => {
    expect(key('subscription { jobUpdated(jobType: CUSTOMER_SYNC) { id status } }')).toBe(
      key(`subscription {\n  jobUpdated(jobType: CUSTOMER_SYNC) {\n    id\n    status\n  }\n}`),
    );
  });

  it('differs with the variables, the fields, the arguments or the operation chosen', () => {
    const base = key('subscription W($id: ID) { jobUpdated(id: $id) { id } }', { id: '1' }, 'W');
    expect(key('subscription W($id: ID) { jobUpdated(id: $id) { id } }', { id: '2' }, 'W')).not.toBe(base);
    expect(key('subscription W($id: ID) { jobUpdated(id: $id) { id status } }', { id: '1' }, 'W')).not.toBe(base);
    expect(key('subscription W($id: ID) { jobUpdated(id: $id, jobType: INVOICE_SYNC) { id } }', { id: '1' }, 'W')).not.toBe(base);
    expect(key('subscription W($id: ID) { jobUpdated(id: $id) { id } } subscription V { metricsUpdated { totalJobs } }', { id: '1' }, 'V')).not.toBe(
      key('subscription W($id: ID) { jobUpdated(id: $id) { id } } subscription V { metricsUpdated { totalJobs } }', { id: '1' }, 'W'),
    );
  });
});
