/**
 * deploy/prometheus/syncbridge.rules.yml, for teams that alert through Prometheus: promtool checks
 * it and runs its unit tests, and a real Prometheus (Debian's package) scrapes a running
 * SyncBridge and fires SyncBridgeUpstreamOpen once an upstream's circuit opens, then lets it go
 * once it closes. Skipped without Prometheus unless CI (which installs it).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gql, startTestApp, type TestApp } from './helpers.js';

const promtool = '/usr/bin/promtool';
const prometheusBinary = '/usr/bin/prometheus';
const havePrometheus = existsSync(promtool) && existsSync(prometheusBinary);
if (!havePrometheus && process.env.CI) throw new Error("The Prometheus rules tests need Debian's prometheus package (promtool and prometheus) in CI");
const rules = resolve('deploy/prometheus/syncbridge.rules.yml');

const freePort = () =>
  new Promise<number>((done) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });

describe.skipIf(!havePrometheus)('the Prometheus rules file', () => {
  it('passes promtool check rules and its unit tests (promtool test rules)', () => {
    const check = spawnSync(promtool, ['check', 'rules', rules], { encoding: 'utf8' });
    expect(check.stdout + check.stderr).toContain('SUCCESS: 5 rules found');
    expect(check.status).toBe(0);
    const test = spawnSync(promtool, ['test', 'rules', resolve('deploy/prometheus/syncbridge.rules.test.yml')], { encoding: 'utf8' });
    expect(test.stdout + test.stderr).toContain('SUCCESS');
    expect(test.status).toBe(0);
  });

  describe('evaluated by a real Prometheus scraping SyncBridge', () => {
    let app: TestApp;
    let prometheus: ChildProcess;
    let dir: string;
    let api = '';

    beforeAll(async () => {
      app = await startTestApp('sqlite');
      dir = mkdtempSync(join(tmpdir(), 'syncbridge-prometheus-'));
      const port = await freePort();
      api = `http://127.0.0.1:${port}`;
      writeFileSync(
        join(dir, 'prometheus.yml'),
        `global: { scrape_interval: 1s, evaluation_interval: 1s }
rule_files: ['${rules}']
scrape_configs:
  - job_name: syncbridge
    static_configs: [{ targets: ['${new URL(app.url).host}'] }]
`,
      );
      prometheus = spawn(prometheusBinary, [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`], {
        stdio: 'ignore',
      });
      await waitFor(async () => (await fetch(`${api}/-/ready`).catch(() => undefined))?.ok === true, 30_000, 'Prometheus to be ready');
    }, 60_000);

    afterAll(async () => {
      prometheus?.kill('SIGTERM');
      await new Promise((done) => (prometheus?.exitCode === null ? prometheus.once('exit', done) : done(undefined)));
      await app?.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    const firing = async () => {
      const body = (await (await fetch(`${api}/api/v1/alerts`)).json()) as { data: { alerts: { labels: Record<string, string>; state: string }[] } };
      return body.data.alerts.filter((alert) => alert.state === 'firing');
    };

    it('scrapes it, fires SyncBridgeUpstreamOpen while billing’s circuit is open, and lets it go once it closes', async () => {
      await waitFor(
        async () => {
          const targets = (await (await fetch(`${api}/api/v1/targets`)).json()) as { data: { activeTargets: { health: string }[] } };
          return targets.data.activeTargets[0]?.health === 'up';
        },
        30_000,
        'the scrape to succeed',
      );
      expect(await firing()).toEqual([]);
      await gql(app, `mutation { setUpstreamCircuit(upstream: "billing", state: OPEN) { __typename } }`);
      await waitFor(async () => (await firing()).some((alert) => alert.labels.alertname === 'SyncBridgeUpstreamOpen'), 30_000, 'the alert to fire');
      expect((await firing()).find((alert) => alert.labels.alertname === 'SyncBridgeUpstreamOpen')!.labels).toMatchObject({ target: 'billing', severity: 'critical' });
      await gql(app, `mutation { setUpstreamCircuit(upstream: "billing", state: AUTO) { __typename } }`);
      await waitFor(async () => !(await firing()).some((alert) => alert.labels.alertname === 'SyncBridgeUpstreamOpen'), 30_000, 'the alert to resolve');
    }, 90_000);
  });
});

async function waitFor(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((done) => setTimeout(done, 250));
  }
}
