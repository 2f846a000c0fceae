/**
 * What the queue knows about each job type: the systems it moves data between and the entity
 * kind. A new job type is one entry here plus its handler.
 */
export const jobTypes = {
  customer_sync: { sourceSystem: 'crm', targetSystem: 'billing', entityType: 'customer' },
  invoice_sync: { sourceSystem: 'crm', targetSystem: 'billing', entityType: 'invoice' },
} as const;

export type JobType = keyof typeof jobTypes;

export const priorities = { LOW: 0, NORMAL: 1, HIGH: 2 } as const;
export type Priority = keyof typeof priorities;

export function priorityName(value: number): Priority {
  return value >= 2 ? 'HIGH' : value <= 0 ? 'LOW' : 'NORMAL';
}

export const jobStatuses = ['PENDING', 'RUNNING', 'SUCCEEDED', 'FAILED', 'DEAD', 'CANCELED'] as const;
export const activeStatuses = ['PENDING', 'RUNNING'] as const;

/** The value of Job.activeKey while a job is PENDING or RUNNING (unique: idempotent enqueue). */
export function activeKey(jobType: string, entityId: string): string {
  return `${jobType}:${entityId}`;
}
