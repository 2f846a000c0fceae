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

export class MigrationError extends Error {
  override name = 'MigrationError';
}

/** Applies pending migrations; returns the names applied now (empty when up to date). */
export async function applyMigrations(
  provider: DatabaseProvider,
  adapterFactory: SqlMigrationAwareDriverAdapterFactory,
): Promise<string[]> {
  const { engine, close } = await openSchemaEngine(adapterFactory, schemaFile(provider));
  try {
    const { appliedMigrationNames } = await engine.applyMigrations({
      migrationsList: migrationList(provider),
      filters: noFilters,
    });
    return appliedMigrationNames;
  } catch (error) {
    throw new MigrationError(
      `Could not apply the database migrations (${provider}): ${(error as Error).message}. ` +
        'Check that DATABASE_URL points at a SyncBridge database this version can migrate.',
      { cause: error },
    );
  } finally {
    await close();
  }
}

/** Names of the checked-in migrations not yet recorded as applied; empty when the database is current. */
export async function pendingMigrations(
  provider: DatabaseProvider,
  adapterFactory: SqlMigrationAwareDriverAdapterFactory,
): Promise<string[]> {
  const { engine, close } = await openSchemaEngine(adapterFactory, schemaFile(provider));
  try {
    const result = await engine.diagnoseMigrationHistory({
      migrationsList: migrationList(provider),
      optInToShadowDatabase: false,
      filters: noFilters,
    });
    const history = result.history;
    if (!history) return [];
    return history.diagnostic === 'migrationsDirectoryIsBehind' ? [] : history.unappliedMigrationNames;
  } finally {
    await close();
  }
}

export { noFilters };
