/**
 * Transactional enqueue on PostgreSQL: syncbridge_enqueue (installed by the migrations) inside the
 * caller's own transaction. A rollback leaves no job and no event; a commit's job is started by an
 * idle worker woken at commit and seen by a jobUpdated subscriber on another process; audited
 * with the actor `sql`. The library's enqueue(input, { tx }) takes a pg client or a Prisma
 * interactive transaction with the same guarantee, its input checked first.
 */
import pg from 'pg';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSyncBridge, type EmbeddedSyncBridge } from '../src/index.js';
import { demoJobTypes, demoUpstreams } from '../src/demo/jobTypes.js';
import { createTestDatabase, providers, startServerProcess, testEnv, type ServerProcess, type TestDatabase } from './helpers.js';
import { wsClient, wsSubscribe } from './live.helpers.js';

describe.skipIf(!providers.includes('postgresql'))('transactional enqueue (postgresql)', () => {
  let database: TestDatabase;
  let bridge: EmbeddedSyncBridge;
  let other: ServerProcess;
  let client: pg.Client;

  beforeAll(async () => {
    database = await createTestDatabase('postgresql');
    bridge = createSyncBridge({ jobTypes: demoJobTypes, upstreams: demoUpstreams, env: { ...testEnv, DATABASE_URL: database.url, PORT: '0' }, logger: pino({ level: 'silent' }) });
    await bridge.start();
    // Another process on the same database, API only: where the subscriber listens.
    other = await startServerProcess({ DATABASE_URL: database.url, PORT: '0', SYNCBRIDGE_WORKER: 'off' });
    client = new pg.Client({ connectionString: database.url });
    await client.connect();
    await client.query(`CREATE TABLE orders (id serial PRIMARY KEY, customer text NOT NULL)`);
  }, 60_000);

  afterAll(async () => {
    await client?.end();
    await other?.stop();
    await bridge?.stop();
    await database?.drop();
  });

  it("a rollback leaves no job and no event; a commit's job runs and reaches a subscriber on another process", async () => {
    const ws = wsClient(other.url);
    const stream = wsSubscribe(ws, `subscription { jobUpdated(jobType: CUSTOMER_SYNC) { id entityId status } }`);
    try {
      await new Promise((resolve) => setTimeout(resolve, 500)); // the subscription is live
      await client.query('BEGIN');
      await client.query(`INSERT INTO orders (customer) VALUES ('c_rolled_back')`);
      const { rows: rolled } = await client.query<{ id: string }>(`SELECT syncbridge_enqueue('customer_sync', 'c_rolled_back') AS id`);
      expect(Number(rolled[0]!.id)).toBeGreaterThan(0);
      await client.query('ROLLBACK');

      await client.query('BEGIN');
      await client.query(`INSERT INTO orders (customer) VALUES ('c_1001')`);
      const { rows } = await client.query<{ id: string }>(`SELECT syncbridge_enqueue('customer_sync', 'c_1001') AS id`);
      const committedAt = Date.now();
      await client.query('COMMIT');
      const id = Number(rows[0]!.id);
      await stream.until((items) => items.some((item: any) => item.id === String(id) && item.status === 'SUCCEEDED'), 20_000);
      const { rows: started } = await client.query<{ startedAt: Date }>(`SELECT "lastStartedAt" AS "startedAt" FROM "Job" WHERE "id" = $1`, [id]);
      console.log(`transactional enqueue: commit → handler start ${started[0]!.startedAt.getTime() - committedAt} ms (pg clock vs ours; the wake-up at commit)`);
      expect(stream.items.filter((item: any) => item.entityId === 'c_rolled_back')).toEqual([]);
      // The job as that process read it when the commit's news arrived (the worker may have started it already), then every change.
      expect(stream.items.filter((item: any) => item.id === String(id)).map((item: any) => item.status)).toEqual(expect.arrayContaining(['RUNNING', 'SUCCEEDED']));
      const { rows: jobs } = await client.query(`SELECT "entityId" FROM "Job" WHERE "entityId" IN ('c_rolled_back', 'c_1001')`);
      expect(jobs).toEqual([{ entityId: 'c_1001' }]);
      const { rows: audit } = await client.query(`SELECT "actor", "action" FROM "AuditEvent" WHERE "jobId" = $1`, [id]);
      expect(audit).toEqual([{ actor: 'sql', action: 'ENQUEUE' }]);
    } finally {
      stream.dispose();
      await ws.dispose();
    }
  });

  it('the library enqueues in a pg transaction and in a Prisma interactive transaction, only if it commits; bad input refused before', async () => {
    await client.query('BEGIN');
    const kept = await bridge.enqueue({ jobType: 'customer_sync', entityId: 'c_tx_pg' }, { tx: client });
    await client.query('COMMIT');
    await client.query('BEGIN');
    await bridge.enqueue({ jobType: 'customer_sync', entityId: 'c_tx_pg_rollback' }, { tx: client });
    await client.query('ROLLBACK');

    const prisma = new pg.Pool({ connectionString: database.url });
    const { PrismaPg } = await import('@prisma/adapter-pg');
    const { PrismaClient } = await import('../src/db/generated/postgresql/client.js');
    const orm = new PrismaClient({ adapter: new PrismaPg(prisma) });
    try {
      const viaPrisma = await orm.$transaction(async (tx) => bridge.enqueue({ jobType: 'customer_sync', entityId: 'c_tx_prisma' }, { tx }));
      await expect(
        orm.$transaction(async (tx) => {
          await bridge.enqueue({ jobType: 'customer_sync', entityId: 'c_tx_prisma_rollback' }, { tx });
          throw new Error('the order failed');
        }),
      ).rejects.toThrow('the order failed');
      const { rows } = await client.query<{ id: number; entityId: string }>(`SELECT "id", "entityId" FROM "Job" WHERE "entityId" LIKE 'c_tx_%' ORDER BY "id"`);
      expect(rows).toEqual([
        { id: kept, entityId: 'c_tx_pg' },
        { id: viaPrisma, entityId: 'c_tx_prisma' },
      ]);
    } finally {
      await orm.$disconnect();
      await prisma.end();
    }
    await expect(bridge.enqueue({ jobType: 'customer_sync', entityId: 'bad id!' }, { tx: client })).rejects.toThrow(/entityId/);
    await expect(bridge.enqueue({ jobType: 'no_such_type', entityId: 'x' }, { tx: client })).rejects.toThrow(/Unknown jobType/);
  });

  it('REJECT raises unique_violation naming the active job; COALESCE folds into it; an unknown type is refused', async () => {
    // In one transaction: the worker cannot take the first job before the second enqueue.
    await client.query('BEGIN');
    const { rows } = await client.query<{ id: string }>(`SELECT syncbridge_enqueue('invoice_sync', 'i_tx', NULL, 'REJECT') AS id`);
    const folded = await client.query<{ id: string }>(`SELECT syncbridge_enqueue('invoice_sync', 'i_tx', NULL, 'COALESCE') AS id`);
    expect(folded.rows[0]!.id).toBe(rows[0]!.id);
    const refused = await client.query(`SELECT syncbridge_enqueue('invoice_sync', 'i_tx', NULL, 'REJECT')`).catch((error: pg.DatabaseError) => error);
    expect(refused).toMatchObject({ code: '23505', message: `DuplicateActiveJobError: job ${rows[0]!.id} is already PENDING for (invoice_sync, i_tx)` });
    await client.query('ROLLBACK');
    const bad = await client.query(`SELECT syncbridge_enqueue('nope', 'x')`).catch((error: pg.DatabaseError) => error);
    expect(bad).toMatchObject({ code: '22023', message: expect.stringContaining('unknown job type "nope"') });
  });

  it('the job takes the group the library checked or the SQL caller named; a bad group_key is refused', async () => {
    await client.query('BEGIN');
    const viaLibrary = await bridge.enqueue({ jobType: 'customer_sync', entityId: 'c_tx_group', groupKey: 'acme' }, { tx: client });
    const { rows } = await client.query<{ id: string }>(`SELECT syncbridge_enqueue('invoice_sync', 'i_tx_group', NULL, NULL, 'globex') AS id`);
    await client.query('COMMIT');
    const stored = await client.query<{ id: number; groupKey: string }>(`SELECT "id", "groupKey" FROM "Job" WHERE "id" = ANY($1::int[]) ORDER BY "id"`, [
      [viaLibrary, Number(rows[0]!.id)],
    ]);
    expect(stored.rows).toEqual([
      { id: viaLibrary, groupKey: 'acme' },
      { id: Number(rows[0]!.id), groupKey: 'globex' },
    ]);
    await expect(bridge.enqueue({ jobType: 'customer_sync', entityId: 'c_tx_group2', groupKey: 'no spaces' }, { tx: client })).rejects.toThrow(/groupKey/);
    const bad = await client.query(`SELECT syncbridge_enqueue('invoice_sync', 'i_tx_group2', NULL, NULL, '../etc')`).catch((error: pg.DatabaseError) => error);
    expect(bad).toMatchObject({ code: '22023', message: expect.stringContaining('group_key must be') });
  });

  it("debounces in the service's steps: the start is the first tenth of the debounce at or after now + debounce", async () => {
    // In one transaction (rolled back): the type's registered debounce set to 1 s for this call only.
    await client.query('BEGIN');
    await client.query(`UPDATE "JobTypeState" SET "debounceMs" = 1000, "maxDelayMs" = 60000 WHERE "jobType" = 'invoice_sync'`);
    const startOf = async () => {
      const before = Date.now();
      const { rows } = await client.query<{ id: string }>(`SELECT syncbridge_enqueue('invoice_sync', 'i_steps', NULL, 'COALESCE') AS id`);
      const after = Date.now();
      const job = await client.query<{ start: string }>(`SELECT round(date_part('epoch', "nextRunAt") * 1000)::bigint AS start FROM "Job" WHERE "id" = $1`, [rows[0]!.id]);
      return { before, after, start: Number(job.rows[0]!.start) };
    };
    for (const { before, after, start } of [await startOf(), await startOf()]) {
      expect(start % 100).toBe(0);
      expect(start).toBeGreaterThanOrEqual(before + 1000 - 1); // pg's clock against ours: the same machine, ms rounding
      expect(start).toBeLessThanOrEqual(after + 1100 + 1);
    }
    await client.query('ROLLBACK');
  });

  it('a change arriving while a worker claims the pending job becomes its follow-up, not part of the started run', async () => {
    // A job not due for 10 minutes (the type's registered debounce, for this test), so no worker takes it.
    await client.query(`UPDATE "JobTypeState" SET "debounceMs" = 600000, "maxDelayMs" = 600000 WHERE "jobType" = 'invoice_sync'`);
    const claimer = new pg.Client({ connectionString: database.url });
    const changer = new pg.Client({ connectionString: database.url });
    await Promise.all([claimer.connect(), changer.connect()]);
    try {
      const pending = Number((await client.query<{ id: string }>(`SELECT syncbridge_enqueue('invoice_sync', 'i_race', NULL, 'COALESCE') AS id`)).rows[0]!.id);
      // A claim in flight: the row locked and RUNNING, not yet committed.
      await claimer.query('BEGIN');
      await claimer.query(`UPDATE "Job" SET "status" = 'RUNNING', "leaseOwner" = 'test', "leaseExpiresAt" = now() AT TIME ZONE 'UTC' + interval '1 hour' WHERE "id" = $1`, [
        pending,
      ]);
      const change = changer.query<{ id: string }>(`SELECT syncbridge_enqueue('invoice_sync', 'i_race', '{"v":2}', 'COALESCE') AS id`);
      await new Promise((resolve) => setTimeout(resolve, 300)); // the change waits for the claim
      await claimer.query('COMMIT');
      const followUp = Number((await change).rows[0]!.id);
      expect(followUp).not.toBe(pending);
      const { rows } = await client.query<{ id: number; status: string; payload: string | null; followUpKey: string | null; coalescedCount: number }>(
        `SELECT "id", "status", "payload", "followUpKey", "coalescedCount" FROM "Job" WHERE "entityId" = 'i_race' ORDER BY "id"`,
      );
      expect(rows).toEqual([
        { id: pending, status: 'RUNNING', payload: null, followUpKey: null, coalescedCount: 0 },
        { id: followUp, status: 'PENDING', payload: '{"v": 2}', followUpKey: 'invoice_sync:i_race', coalescedCount: 0 },
      ]);
    } finally {
      await claimer.end();
      await changer.end();
      await client.query(`UPDATE "JobTypeState" SET "debounceMs" = NULL, "maxDelayMs" = NULL WHERE "jobType" = 'invoice_sync'`);
      await client.query(`UPDATE "Job" SET "status" = 'CANCELED', "activeKey" = NULL, "followUpKey" = NULL WHERE "entityId" = 'i_race'`);
    }
  });
});
