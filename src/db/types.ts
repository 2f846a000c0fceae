/**
 * The database types the rest of the code base uses, from one provider-neutral place. Both
 * generated clients come from the same models (test/db.schema.test.ts keeps them equal), so the
 * SQLite client's types stand for both; nothing outside src/db/ names a generated client.
 */
import type { PrismaClient, Prisma } from './generated/sqlite/client.js';

export type Db = PrismaClient;
export type { Job, Attempt, Schedule, Alert, AlertRule, WebhookDelivery, WebhookDeliveryJob } from './generated/sqlite/client.js';
export type JobWhereInput = Prisma.JobWhereInput;
/** An interactive transaction's client (`db.$transaction(async (tx) => …)`). */
export type Tx = Prisma.TransactionClient;
export type { Prisma };
