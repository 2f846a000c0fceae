/**
 * Durable before the answer, across a crash: a server process takes a stream of signed deliveries
 * and is killed with SIGKILL in the middle of it. Every delivery it answered 200 is in the
 * database afterwards with its job, and no delivery is stored without its job (the two commit
 * together), on both databases.
 */
import { describe, expect, it } from 'vitest';
import { signWebhook } from '../src/index.js';
import { createTestDatabase, providers, startServerProcess, startTestApp } from './helpers.js';

const secret = 'whsec_crash';

describe.each(providers)('webhook deliveries across kill -9 (%s)', (provider) => {
  it('keeps every delivery answered 200, with its job, and none without', async () => {
    const database = await createTestDatabase(provider);
    const server = await startServerProcess({ DATABASE_URL: database.url, SYNCBRIDGE_WEBHOOK_SECRETS: `crm:${secret}` });
    const answered: string[] = [];
    let sent = 0;
    let killed = false;
    try {
      const sender = async () => {
        while (!killed) {
          const id = `evt_crash_${sent++}`;
          const body = JSON.stringify({ id, type: sent % 2 ? 'customer.updated' : 'invoice.updated', data: { id: `r_${sent % 97}` } });
          try {
            const response = await fetch(`${server.url}/hooks/crm`, {
              method: 'POST',
              headers: { 'content-type': 'application/json', 'syncbridge-signature': signWebhook(body, secret) },
              body,
            });
            if (response.status === 200) answered.push(id);
            else expect(response.status).toBe(200);
          } catch {
            // In flight when the process died: never acknowledged, so the sender would retry it.
          }
        }
      };
      const senders = Array.from({ length: 12 }, sender);
      while (answered.length < 300) await new Promise((resolve) => setTimeout(resolve, 5));
      await server.kill9();
      killed = true;
      await Promise.all(senders);
    } finally {
      killed = true;
      await server.kill9();
    }
    expect(sent).toBeGreaterThan(answered.length); // some were in flight at the kill

    // The database as the crash left it, opened by a new process (no worker: nothing moves).
    const app = await startTestApp(provider, { SYNCBRIDGE_WORKER: 'off' }, { database });
    try {
      const stored = await app.database.db.webhookDelivery.findMany({ include: { jobs: true } });
      const storedIds = new Set(stored.map((delivery) => delivery.deliveryId));
      expect(answered.filter((id) => !storedIds.has(id))).toEqual([]);
      expect(stored.filter((delivery) => delivery.jobs.length !== 1).map((delivery) => delivery.deliveryId)).toEqual([]);
      const jobIds = new Set((await app.database.db.job.findMany({ select: { id: true } })).map((job) => job.id));
      expect(stored.filter((delivery) => !jobIds.has(delivery.jobs[0]!.jobId)).map((delivery) => delivery.deliveryId)).toEqual([]);
    } finally {
      await app.stop();
      await database.drop();
    }
  }, 120_000);
});
