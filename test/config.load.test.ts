import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config/index.js';

describe('configuration', () => {
  it('has the SPEC defaults', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      databaseUrl: 'file:./syncbridge.db',
      databaseProvider: 'sqlite',
      host: '127.0.0.1',
      port: 4000,
      mocksEnabled: true,
      jobMaxRetriesDefault: 3,
      backoffBaseSeconds: 2,
      leaseSeconds: 60,
      workerEnabled: true,
      logLevel: 'info',
      crmBaseUrl: undefined,
    });
    expect(config.workerConcurrency).toBeGreaterThanOrEqual(1);
  });

  it('reads every variable', () => {
    const config = loadConfig({
      DATABASE_URL: 'postgresql://postgres@127.0.0.1:5432/sb',
      HOST: '0.0.0.0',
      PORT: '8080',
      SYNCBRIDGE_CRM_BASE_URL: 'http://crm.internal/api',
      SYNCBRIDGE_BILLING_BASE_URL: 'https://billing.internal',
      SYNCBRIDGE_MOCKS: 'off',
      SYNCBRIDGE_JOB_MAX_RETRIES_DEFAULT: '5',
      SYNCBRIDGE_JOB_BACKOFF_BASE_SECONDS: '0.05',
      SYNCBRIDGE_JOB_LEASE_SECONDS: '30',
      SYNCBRIDGE_WORKER: 'false',
      SYNCBRIDGE_WORKER_CONCURRENCY: '4',
      SYNCBRIDGE_API_TOKENS: 'ops:operator:0123456789abcdef0123',
      SYNCBRIDGE_MUTATIONS_PER_MINUTE: '60',
      SYNCBRIDGE_PERSISTED_ONLY: 'on',
      SYNCBRIDGE_ALLOWED_ORIGINS: 'https://ops.example.com/, http://localhost:5173',
      LOG_LEVEL: 'debug',
    });
    expect(config.apiTokens.map((entry) => [entry.name, entry.role])).toEqual([['ops', 'operator']]);
    expect(config).toMatchObject({
      mutationsPerMinute: 60,
      persistedOnly: true,
      allowedOrigins: ['https://ops.example.com', 'http://localhost:5173'],
      allowAnonymous: false,
      databaseProvider: 'postgresql',
      host: '0.0.0.0',
      port: 8080,
      crmBaseUrl: 'http://crm.internal/api',
      billingBaseUrl: 'https://billing.internal',
      mocksEnabled: false,
      jobMaxRetriesDefault: 5,
      backoffBaseSeconds: 0.05,
      leaseSeconds: 30,
      workerEnabled: false,
      workerConcurrency: 4,
      logLevel: 'debug',
    });
  });

  it.each([
    ['PORT', 'eighty'],
    ['PORT', '70000'],
    ['DATABASE_URL', 'mysql://x'],
    ['SYNCBRIDGE_MOCKS', 'maybe'],
    ['SYNCBRIDGE_JOB_MAX_RETRIES_DEFAULT', '2.5'],
    ['SYNCBRIDGE_JOB_BACKOFF_BASE_SECONDS', '-1'],
    ['SYNCBRIDGE_WORKER_CONCURRENCY', '0'],
    ['SYNCBRIDGE_CRM_BASE_URL', 'not a url'],
    ['LOG_LEVEL', 'loud'],
  ])('rejects %s=%s with a message naming the variable', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(name);
  });

  it('names every bad variable at once', () => {
    const error = (() => {
      try {
        loadConfig({ PORT: 'x', SYNCBRIDGE_WORKER: 'nope' });
      } catch (e) {
        return e as Error;
      }
    })();
    expect(error?.message).toContain('PORT');
    expect(error?.message).toContain('SYNCBRIDGE_WORKER');
  });

  it('splits the roles: API-only, worker-only (which needs no tokens on any address), never neither', () => {
    expect(loadConfig({})).toMatchObject({ apiEnabled: true, workerEnabled: true });
    expect(loadConfig({ SYNCBRIDGE_WORKER: 'off' })).toMatchObject({ apiEnabled: true, workerEnabled: false });
    expect(loadConfig({ SYNCBRIDGE_API: 'off', HOST: '0.0.0.0' })).toMatchObject({ apiEnabled: false, workerEnabled: true, host: '0.0.0.0' });
    expect(() => loadConfig({ HOST: '0.0.0.0' })).toThrow(/without API tokens/);
    expect(() => loadConfig({ SYNCBRIDGE_API: 'off', SYNCBRIDGE_WORKER: 'off' })).toThrow(/serve nothing and run nothing/);
  });

  it('the service refuses to start on bad configuration, with one clear message and no stack', () => {
    const result = spawnSync(process.execPath, ['--import', 'tsx', 'src/start.ts'], {
      env: { ...process.env, PORT: 'eighty', DATABASE_URL: 'file:/nonexistent/never.db' },
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('PORT');
    expect(result.stderr).not.toContain('    at ');
  });
});
