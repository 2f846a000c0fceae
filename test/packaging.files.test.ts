/**
 * What can be checked of the container files without pulling images (this machine cannot): the
 * compose file parses, its SyncBridge services name only variables the config accepts and their
 * environments pass the config's own validation, in the roles the file promises; the Dockerfile
 * runs only commands package.json defines and copies what the build writes. The production
 * install itself is proven by scripts/production-check.sh in CI.
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { configVariables, loadConfig } from '../src/config/index.js';

const packageJson = JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string>; files: string[]; engines: { node: string } };

interface ComposeService {
  image?: string;
  build?: string;
  environment?: Record<string, string>;
  ports?: string[];
  depends_on?: Record<string, { condition: string }>;
}

describe('compose.yaml', () => {
  const compose = parse(readFileSync('compose.yaml', 'utf8'), { merge: true }) as { services: Record<string, ComposeService> };
  const syncbridgeServices = Object.entries(compose.services).filter(([, service]) => service.build === '.');

  /** Compose's `${NAME:?message}` and `${NAME:-default}`, filled the way a user's .env would. */
  const interpolated = (environment: Record<string, string>) =>
    Object.fromEntries(Object.entries(environment).map(([name, value]) => [name, String(value).replace(/\$\{[A-Z_]+:[?-][^}]*\}/g, 'admin:admin:0123456789abcdef0123')]));

  it('runs PostgreSQL, Redis, one API-only and two worker-only SyncBridge processes', () => {
    expect(Object.keys(compose.services)).toEqual(expect.arrayContaining(['postgres', 'redis']));
    const roles = syncbridgeServices.map(([name, service]) => {
      const config = loadConfig(interpolated(service.environment ?? {}));
      return {
        name,
        api: config.apiEnabled,
        worker: config.workerEnabled,
        provider: config.databaseProvider,
        redis: Boolean(config.redisUrl),
        published: Boolean(service.ports?.length),
      };
    });
    expect(roles).toEqual([
      { name: 'api', api: true, worker: false, provider: 'postgresql', redis: true, published: true },
      { name: 'worker-1', api: false, worker: true, provider: 'postgresql', redis: true, published: false },
      { name: 'worker-2', api: false, worker: true, provider: 'postgresql', redis: true, published: false },
    ]);
  });

  it('names only variables the config accepts, and hosts the services it defines', () => {
    for (const [name, service] of syncbridgeServices) {
      const unknown = Object.keys(service.environment ?? {}).filter((variable) => !configVariables.includes(variable));
      expect(unknown, name).toEqual([]);
      const environment = service.environment!;
      expect(Object.keys(compose.services)).toContain(new URL(environment.DATABASE_URL!).hostname);
      expect(Object.keys(compose.services)).toContain(new URL(environment.REDIS_URL!).hostname);
      expect(Object.keys(service.depends_on ?? {}).sort()).toEqual(['postgres', 'redis']);
    }
  });

  it('the API refuses to start without tokens (it listens on every interface)', () => {
    const api = compose.services.api!.environment!;
    expect(api.SYNCBRIDGE_API_TOKENS).toMatch(/^\$\{SYNCBRIDGE_API_TOKENS:\?/);
    const { SYNCBRIDGE_API_TOKENS: _tokens, ...withoutTokens } = interpolated(api);
    expect(() => loadConfig(withoutTokens)).toThrow(/without API tokens/);
  });
});

describe('README', () => {
  it('documents every variable the config accepts, and no other', () => {
    const readme = readFileSync('README.md', 'utf8');
    // Table rows name one variable, or several: | `HOST`, `PORT` | …
    const documented = new Set([...readme.matchAll(/^\| (`[A-Z_]+`(?:, `[A-Z_]+`)*) \|/gm)].flatMap((match) => match[1]!.split(', ').map((name) => name.slice(1, -1))));
    expect(configVariables.filter((name) => !documented.has(name))).toEqual([]);
    expect([...documented].filter((name) => !configVariables.includes(name))).toEqual([]);
    // The one family of variables named after something of the user's: an upstream's URL.
    expect(readme).toMatch(/^\| `SYNCBRIDGE_UPSTREAM_<NAME>_URL` \|/m);
  });
});

describe('Dockerfile', () => {
  const dockerfile = readFileSync('Dockerfile', 'utf8').replace(/\\\n/g, ' ');
  const instructions = dockerfile
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => ({ keyword: line.split(/\s+/)[0]!.toUpperCase(), rest: line.slice(line.split(/\s+/)[0]!.length).trim() }));
  const of = (keyword: string) => instructions.filter((instruction) => instruction.keyword === keyword).map((instruction) => instruction.rest);

  it('builds in stages and runs slim, unprivileged, with a health check on /readyz', () => {
    const stages = of('FROM');
    expect(stages.length).toBeGreaterThanOrEqual(3);
    expect(stages.at(-1)).toMatch(/-slim AS runtime$/);
    expect(of('USER').at(-1)).toBe('node');
    expect(of('HEALTHCHECK').join(' ')).toContain('/readyz');
  });

  it('runs only the scripts package.json defines, and starts the way npm start does', () => {
    const npmRuns = of('RUN').flatMap((command) => [...command.matchAll(/npm run ([\w:-]+)/g)].map((match) => match[1]!));
    expect(npmRuns.length).toBeGreaterThan(0);
    for (const script of npmRuns) expect(packageJson.scripts, script).toHaveProperty(script);
    // The production install is the one scripts/production-check.sh proves.
    expect(of('RUN').join('\n')).toContain('npm ci --omit=dev --omit=optional');
    expect(readFileSync('scripts/production-check.sh', 'utf8')).toContain('npm ci --omit=dev --omit=optional');
    expect((JSON.parse(of('CMD').at(-1)!) as string[]).join(' ')).toBe(packageJson.scripts.start);
  });

  it('copies into the runtime stage only what the build writes and the package ships', () => {
    const copied = of('COPY')
      .filter((rest) => rest.startsWith('--from=build'))
      .map((rest) => rest.split(/\s+/)[1]!.replace(/^\/app\//, ''));
    expect(copied.sort()).toEqual(['client/dist', 'dist', 'package.json', 'prisma']);
    for (const path of copied) expect(existsSync(path), path).toBe(true);
    for (const path of ['dist', 'client/dist', 'prisma']) expect(packageJson.files).toContain(path);
    expect(packageJson.scripts.start).toBe('node dist/start.js');
  });
});
