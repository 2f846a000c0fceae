/**
 * One model source, two providers: the generated schema files are exactly header + models, the
 * two generated clients describe identical models, and each provider's checked-in migrations
 * build exactly that schema (plus their hand-written sections beyond it, src/db/migrations.ts).
 */
import { readFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import pg from 'pg';
import type { SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3';
import { describe, expect, it } from 'vitest';
import { schemaFor } from '../scripts/prisma-generate.js';
import { applyMigrations, beyondSchemaSql, migrationList, noFilters } from '../src/db/migrations.js';
import { openSchemaEngine } from '../src/db/schemaEngine.js';
import { PrismaPg } from '@prisma/adapter-pg';
import { createTestDatabase, providers } from './helpers.js';

describe('prisma schema', () => {
  it.each(['sqlite', 'postgresql'] as const)('prisma/%s/schema.prisma is generated from prisma/models.prisma and current', (provider) => {
    expect(readFileSync(`prisma/${provider}/schema.prisma`, 'utf8')).toBe(schemaFor(provider));
  });

  it('the two generated clients have identical models', async () => {
    const sqlite = await import('../src/db/generated/sqlite/internal/prismaNamespace.js');
    const postgres = await import('../src/db/generated/postgresql/internal/prismaNamespace.js');
    expect(Object.keys(sqlite.ModelName)).toEqual(Object.keys(postgres.ModelName));
    for (const model of [
      'JobScalarFieldEnum',
      'AttemptScalarFieldEnum',
      'AttemptMinuteScalarFieldEnum',
      'AuditEventScalarFieldEnum',
      'JobTypeStateScalarFieldEnum',
      'UpstreamPaceScalarFieldEnum',
      'ScheduleScalarFieldEnum',
      'ScheduleTickScalarFieldEnum',
      'ProcessHeartbeatScalarFieldEnum',
    ] as const) {
      expect(sqlite[model]).toEqual(postgres[model]);
    }
    // The runtime data model (fields, kinds, types, relations) that each client embeds.
    const runtimeModel = (provider: string) => /config\.runtimeDataModel = JSON\.parse\((".*")\)/.exec(readFileSync(`src/db/generated/${provider}/internal/class.ts`, 'utf8'))![1]!;
    const sqliteModel = JSON.parse(JSON.parse(runtimeModel('sqlite')));
    expect(Object.keys(sqliteModel.models)).toEqual([
      'Job',
      'Attempt',
      'AttemptMinute',
      'AuditEvent',
      'JobTypeState',
      'JobGroupState',
      'UpstreamPace',
      'UpstreamCircuit',
      'Schedule',
      'ScheduleTick',
      'ProcessHeartbeat',
      'WebhookDelivery',
      'WebhookDeliveryJob',
      'AlertRule',
      'Alert',
    ]);
    expect(sqliteModel).toEqual(JSON.parse(JSON.parse(runtimeModel('postgresql'))));
  });

  it('each migration folder keeps the schema it was made from, the last one being the current schema', () => {
    for (const provider of ['sqlite', 'postgresql'] as const) {
      const list = migrationList(provider);
      expect(list.migrationDirectories.length).toBeGreaterThan(0);
      const last = list.migrationDirectories.at(-1)!;
      expect(readFileSync(`${list.baseDir}/${last.path}/schema.prisma`, 'utf8')).toBe(schemaFor(provider));
    }
  });

  it('SQLite migrations build exactly the schema (catalog comparison)', async () => {
    // The engine cannot describe a SQLite database with partial indexes through better-sqlite3
    // (its catalog query quotes names as strings, which this build of SQLite refuses), so compare
    // catalogs: database A from the migrations, database B from the schema's own DDL.
    const fromMigrations = await createTestDatabase('sqlite');
    const fromSchema = await createTestDatabase('sqlite');
    try {
      const url = fromMigrations.url.replace(/^file:/, '');
      expect(await applyMigrations('sqlite', new PrismaBetterSqlite3({ url }))).toEqual(migrationList('sqlite').migrationDirectories.map((d) => d.path));
      expect(await applyMigrations('sqlite', new PrismaBetterSqlite3({ url }))).toEqual([]);
      const ddl = await schemaDdl('sqlite', new PrismaBetterSqlite3({ url: fromSchema.url.replace(/^file:/, '') }));
      const b = new Database(fromSchema.url.replace(/^file:/, ''));
      b.exec(ddl);
      for (const section of beyondSchemaSql('sqlite')) b.exec(section);
      b.close();
      expect(sqliteCatalog(fromMigrations.url)).toEqual(sqliteCatalog(fromSchema.url));
    } finally {
      await fromMigrations.drop();
      await fromSchema.drop();
    }
  });

  it.skipIf(!providers.includes('postgresql'))('PostgreSQL migrations build exactly the schema (catalog comparison)', async () => {
    // The engine cannot read a live PostgreSQL catalog through adapter-pg, so compare catalogs:
    // database A from the migrations, database B from the schema's own DDL.
    const fromMigrations = await createTestDatabase('postgresql');
    const fromSchema = await createTestDatabase('postgresql');
    try {
      await applyMigrations('postgresql', new PrismaPg({ connectionString: fromMigrations.url }));
      const ddl = await schemaDdl('postgresql', new PrismaPg({ connectionString: fromSchema.url }));
      const b = new pg.Client({ connectionString: fromSchema.url });
      await b.connect();
      await b.query(ddl);
      for (const section of beyondSchemaSql('postgresql')) await b.query(section);
      await b.end();
      expect(await catalog(fromMigrations.url)).toEqual(await catalog(fromSchema.url));
    } finally {
      await fromMigrations.drop();
      await fromSchema.drop();
    }
  });
});

/** The DDL that creates the current schema from nothing (the engine's datamodel diff; no database read). */
async function schemaDdl(provider: 'sqlite' | 'postgresql', adapter: SqlMigrationAwareDriverAdapterFactory): Promise<string> {
  const { engine, close } = await openSchemaEngine(adapter, schemaFor(provider));
  try {
    return (
      (
        await engine.diff({
          from: { tag: 'empty' },
          to: { tag: 'schemaDatamodel', files: [{ path: 'schema.prisma', content: schemaFor(provider) }] },
          script: true,
          exitCode: null,
          filters: noFilters,
        })
      ).stdout ?? ''
    );
  } finally {
    await close();
  }
}

function sqliteCatalog(url: string) {
  const db = new Database(url.replace(/^file:/, ''), { readonly: true });
  try {
    const objects = db.prepare(`SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE '_prisma%' AND name NOT LIKE 'sqlite_%' ORDER BY type, name`).all() as {
      type: string;
      name: string;
      tbl_name: string;
      sql: string | null;
    }[];
    // SQLite keeps each statement's text; ADD COLUMN splices its own into it: compare without layout.
    return objects.map((object) => ({
      ...object,
      sql:
        object.sql
          ?.replace(/\s+/g, ' ')
          .replace(/\s*([(),])\s*/g, '$1')
          .trim() ?? null,
    }));
  } finally {
    db.close();
  }
}

async function catalog(url: string) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const columns = await client.query(
      `SELECT table_name, column_name, data_type, is_nullable, column_default FROM information_schema.columns
        WHERE table_schema = 'public' AND table_name <> '_prisma_migrations' ORDER BY table_name, column_name`,
    );
    const indexes = await client.query(`SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename <> '_prisma_migrations' ORDER BY indexname`);
    const constraints = await client.query(`SELECT conname, pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE connamespace = 'public'::regnamespace ORDER BY conname`);
    return { columns: columns.rows, indexes: indexes.rows, constraints: constraints.rows.filter((row) => !String(row.conname).startsWith('_prisma')) };
  } finally {
    await client.end();
  }
}
