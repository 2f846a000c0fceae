import type { SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import type { DatabaseProvider } from '../config/index.js';
import { noFilters, schemaFile } from './migrations.js';
import { openSchemaEngine } from './schemaEngine.js';

/**
 * The SQL that would take the database behind `adapterFactory` to prisma/<provider>/schema.prisma,
 * or '' when it already matches. Used by the migration script (on a scratch database with the
 * checked-in migrations applied) and by the test that keeps migrations and models in step.
 */
export async function schemaDrift(provider: DatabaseProvider, adapterFactory: SqlMigrationAwareDriverAdapterFactory): Promise<string> {
  const schema = schemaFile(provider);
  const files = [{ path: 'schema.prisma', content: schema }];
  const { engine, close } = await openSchemaEngine(adapterFactory, schema);
  try {
    const { stdout } = await engine.diff({
      // "schemaDatasource" is the live database reached through the adapter.
      from: { tag: 'schemaDatasource', files, configDir: '.' },
      to: { tag: 'schemaDatamodel', files },
      script: true,
      exitCode: null,
      filters: noFilters,
    });
    const sql = (stdout ?? '').trim();
    return sql === '-- This is an empty migration.' ? '' : sql;
  } finally {
    await close();
  }
}
