/**
 * The proof of "no lost update" (ifActive COALESCE): a CRM record whose version grows with each
 * edit, an enqueue after every edit, and a handler that reads the CRM, waits a few random
 * milliseconds and writes the version it read to Billing. 200 edits over 2 s, for each of 20
 * records (runs, five at a time), against two worker processes on PostgreSQL and one on SQLite.
 * Once the queue is idle Billing holds every record's last version, no two jobs of a record ever
 * ran at once (the handler tells the fixture when it starts and ends, from whichever process),
 * and the handler ran far fewer times than there were edits (printed; the type's debounce of 50 ms
 * folds the edits of a burst into one run).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import versionSyncTypes, { upstreams } from './fixtures/versionSync.jobs.js';
import { gqlHttp, providers, startServerProcess, startTestApp, type ServerProcess, type TestApp } from './helpers.js';

const editsPerRecord = 200;
const editSpreadMs = 2_000;
const runs = 20;
const runsAtOnce = 5;

/** The CRM (versions), Billing (the last version written) and the run counter, over HTTP. */
class VersionFixture {
  readonly crm = new Map<string, number>();
  readonly billing = new Map<string, number>();
  readonly runningNow = new Map<string, number>();
  readonly mostAtOnce = new Map<string, number>();
  readonly handlerRuns = new Map<string, number>();
  private server: Server | undefined;
  url = '';

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      let raw = '';
      req.on('data', (chunk: Buffer) => (raw += chunk.toString()));
      req.on('end', () => {
        const [, kind, id, step] = (req.url ?? '').split('/');
        const send = (body: unknown) => {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify(body));
        };
        if (kind === 'crm') return send({ id, version: this.crm.get(id!) ?? 0 });
        if (kind === 'billing') {
          this.billing.set(id!, (JSON.parse(raw) as { version: number }).version);
          return send({ ok: true });
        }
        if (kind === 'running') {
          const now = (this.runningNow.get(id!) ?? 0) + (step === 'begin' ? 1 : -1);
          this.runningNow.set(id!, now);
          if (step === 'begin') {
            this.handlerRuns.set(id!, (this.handlerRuns.get(id!) ?? 0) + 1);
            this.mostAtOnce.set(id!, Math.max(this.mostAtOnce.get(id!) ?? 0, now));
          }
          return send({ ok: true });
        }
        res.writeHead(404).end();
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }
}

describe.each(providers)('no lost update under concurrency (%s)', (provider) => {
  const fixture = new VersionFixture();
  let app: TestApp;
  let child: ServerProcess | undefined;

  beforeAll(async () => {
    await fixture.start();
    // 4,000 enqueues from one caller: past the default mutation budget.
    const env = { SYNCBRIDGE_UPSTREAM_FIXTURE_URL: fixture.url, SYNCBRIDGE_WORKER_CONCURRENCY: '8', SYNCBRIDGE_WORKER_POLL_SECONDS: '0.2', SYNCBRIDGE_MUTATIONS_PER_MINUTE: '0' };
    app = await startTestApp(provider, env, { jobTypes: versionSyncTypes, upstreams });
    // PostgreSQL: a second worker process on the same database (SQLite is one process).
    if (provider === 'postgresql') {
      child = await startServerProcess({ ...env, DATABASE_URL: app.testDatabase.url, PORT: '0', SYNCBRIDGE_JOB_TYPES: 'test/fixtures/versionSync.jobs.ts' });
    }
  }, 60_000);

  afterAll(async () => {
    await child?.stop();
    await app?.close();
    await fixture.stop();
  });

  /** One run: 200 edits of one record over 2 s, each followed by a coalescing enqueue. */
  async function editRecord(id: string): Promise<void> {
    for (let edit = 1; edit <= editsPerRecord; edit++) {
      fixture.crm.set(id, edit);
      const { data, errors } = await gqlHttp(app, `mutation ($id: String!) { enqueueJob(input: { jobType: VERSION_SYNC, entityId: $id, ifActive: COALESCE }) { __typename } }`, {
        id,
      });
      expect(errors, JSON.stringify(errors)).toBeUndefined();
      expect(data!.enqueueJob.__typename).toBe('EnqueueJobSuccess');
      await new Promise((resolve) => setTimeout(resolve, editSpreadMs / editsPerRecord));
    }
  }

  it(`Billing ends with every record's last version, in ${runs} runs of ${editsPerRecord} edits; never two runs of a record at once`, async () => {
    const records = Array.from({ length: runs }, (_, run) => `r_${provider}_${run}`);
    for (let wave = 0; wave < runs; wave += runsAtOnce) await Promise.all(records.slice(wave, wave + runsAtOnce).map(editRecord));
    // Idle: nothing of the type PENDING or RUNNING.
    await expect
      .poll(async () => app.database.db.job.count({ where: { jobType: 'version_sync', status: { in: ['PENDING', 'RUNNING'] } } }), { timeout: 60_000, interval: 200 })
      .toBe(0);
    const totalRuns = records.reduce((sum, id) => sum + (fixture.handlerRuns.get(id) ?? 0), 0);
    console.log(
      `no lost update (${provider}, ${provider === 'postgresql' ? 2 : 1} worker process(es)): ${runs} runs × ${editsPerRecord} edits = ${runs * editsPerRecord} enqueues; ` +
        `handler ran ${totalRuns} times (${(totalRuns / runs).toFixed(1)} a record; most ${Math.max(...records.map((id) => fixture.handlerRuns.get(id) ?? 0))})`,
    );
    for (const id of records) {
      expect({ id, billing: fixture.billing.get(id) }).toEqual({ id, billing: editsPerRecord });
      expect({ id, mostAtOnce: fixture.mostAtOnce.get(id) }).toEqual({ id, mostAtOnce: 1 });
      // Per record, loosely: a loaded machine's slow enqueues let the 50 ms debounce lapse between edits.
      expect(fixture.handlerRuns.get(id)).toBeLessThan(editsPerRecord / 2);
    }
    expect(totalRuns).toBeLessThan((runs * editsPerRecord) / 4);
    // Every enqueue is in a job: each record's jobs absorbed the rest.
    const jobs = await app.database.db.job.findMany({ where: { jobType: 'version_sync' }, select: { entityId: true, coalescedCount: true, status: true } });
    for (const id of records) {
      const mine = jobs.filter((job) => job.entityId === id);
      expect(mine.every((job) => job.status === 'SUCCEEDED' || job.status === 'CANCELED')).toBe(true);
      expect(mine.length + mine.reduce((sum, job) => sum + job.coalescedCount, 0)).toBe(editsPerRecord);
    }
  }, 180_000);
});
