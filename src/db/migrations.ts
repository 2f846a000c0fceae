/**
 * Applies the checked-in Prisma migrations (prisma/<provider>/migrations) at start-up through the
 * WebAssembly schema engine. Prisma's own `_prisma_migrations` table records what ran, so the
 * Prisma CLI (where it can run) agrees with us about the database's state.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import type { DatabaseProvider } from '../config/index.js';
import { openSchemaEngine } from './schemaEngine.js';
import { prismaDir } from './paths.js';
import type { Db } from './types.js';

const noFilters = { externalTables: [], externalEnums: [] };

export function migrationsDir(provider: DatabaseProvider): string {
  return join(prismaDir, provider, 'migrations');
}

export function schemaFile(provider: DatabaseProvider): string {
  return readFileSync(join(prismaDir, provider, 'schema.prisma'), 'utf8');
}

/** The migration folders as the engine wants them, oldest first. */
export function migrationList(provider: DatabaseProvider) {
  const baseDir = migrationsDir(provider);
  const lockPath = join(baseDir, 'migration_lock.toml');
  const names = existsSync(baseDir)
    ? readdirSync(baseDir, { withFileTypes: true })
        .filter((entry) => entry.isDirectory())
        .map((entry) => entry.name)
        .sort()
    : [];
  return {
    baseDir,
    lockfile: { path: 'migration_lock.toml', content: existsSync(lockPath) ? readFileSync(lockPath, 'utf8') : null },
    shadowDbInitScript: '',
    migrationDirectories: names.map((name) => ({
      path: name,
      migrationFile: {
        path: 'migration.sql',
        content: { tag: 'ok' as const, value: readFileSync(join(baseDir, name, 'migration.sql'), 'utf8') },
      },
    })),
  };
}

/**
 * What migrations add beyond Prisma's schema (an index with an operator class, SQL functions),
 * after this line in a migration.sql: the engine's datamodel diff cannot express them, so the
 * catalog test applies these sections, in order, after the schema's own DDL.
 */
export const beyondSchemaMarker = '-- syncbridge: beyond the Prisma schema';

/** The hand-written sections of every migration, oldest first. */
export function beyondSchemaSql(provider: DatabaseProvider): string[] {
  return migrationList(provider).migrationDirectories.flatMap((directory) => {
    const text = directory.migrationFile.content.value;
    const at = text.indexOf(beyondSchemaMarker);
    return at < 0 ? [] : [text.slice(at)];
  });
}

export class MigrationError extends Error {
  override name = 'MigrationError';
}

/** Applies pending migrations; returns the names applied now (empty when up to date). */
export async function applyMigrations(provider: DatabaseProvider, adapterFactory: SqlMigrationAwareDriverAdapterFactory): Promise<string[]> {
  const { engine, close } = await openSchemaEngine(adapterFactory, schemaFile(provider));
  try {
    const { appliedMigrationNames } = await engine.applyMigrations({
      migrationsList: migrationList(provider),
      filters: noFilters,
    });
    return appliedMigrationNames;
  } catch (error) {
    throw new MigrationError(
      `Could not apply the database migrations (${provider}): ${(error as Error).message}. ` + 'Check that DATABASE_URL points at a SyncBridge database this version can migrate.',
      { cause: error },
    );
  } finally {
    await close();
  }
}

/**
 * Names of the checked-in migrations that Prisma's `_prisma_migrations` does not record as
 * applied (all of them for a new database). A plain query, so start-up and /readyz skip the
 * schema engine when nothing is pending; it also keeps a second process that starts against a
 * live SQLite database from taking the engine's write lock for nothing.
 */
export async function pendingMigrations(provider: DatabaseProvider, db: Db): Promise<string[]> {
  const local = migrationList(provider).migrationDirectories.map((directory) => directory.path);
  let applied: string[];
  try {
    const rows = await db.$queryRawUnsafe<{ migration_name: string }[]>('SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL');
    applied = rows.map((row) => row.migration_name);
  } catch {
    applied = []; // no migrations table yet: a new database
  }
  return local.filter((name) => !applied.includes(name));
}

export { noFilters };
