/**
 * A reach into a library, kept because it pays (and guarded): Prisma's better-sqlite3 adapter
 * prepares every statement anew (`client.prepare(sql).bind(args)` per query), a tenth of a
 * GraphQL read's CPU in a profile. This keeps one prepared statement per SQL text (bounded) and
 * binds each call's arguments at execution instead, since better-sqlite3 binds a statement for
 * good with `bind()`. It relies on how the adapter uses its client: `prepare(sql)`, then
 * `bind(args)` with `.reader`, `.run()`, `.columns()`, `.raw().all()`, and `prepare(sql).run()`.
 * test/db.libraryEdges.test.ts checks those calls against the installed adapter and fails by
 * name when an upgrade changes them (`checkedAdapterVersion` says which version was read).
 */
import type Database from 'better-sqlite3';
import type { SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';

/** The @prisma/adapter-better-sqlite3 version whose use of its client this patch was checked against. */
export const checkedAdapterVersion = '7.10.0';

export function cacheStatements(client: Database.Database, max = 500): { hits(): number } {
  const prepare = client.prepare.bind(client);
  const cache = new Map<string, Database.Statement>();
  let hits = 0;
  (client as unknown as { prepare: unknown }).prepare = (sql: string) => {
    let statement = cache.get(sql);
    if (statement) hits += 1;
    else {
      if (cache.size >= max) cache.delete(cache.keys().next().value!);
      cache.set(sql, (statement = prepare(sql)));
    }
    const prepared = statement;
    return {
      bind: (args: unknown[]) => ({
        reader: prepared.reader,
        columns: () => prepared.columns(),
        run: () => prepared.run(args),
        raw: () => ({ all: () => prepared.raw(true).all(args) }),
      }),
      run: (...args: unknown[]) => prepared.run(...args),
    };
  };
  return { hits: () => hits };
}

/** The adapter factory for the service's Prisma client (migrations use the plain one), with the cache on every connection. */
export function cachingAdapterFactory(inner: SqlMigrationAwareDriverAdapterFactory, onConnect?: (cache: { hits(): number }) => void): SqlMigrationAwareDriverAdapterFactory {
  return {
    provider: inner.provider,
    adapterName: inner.adapterName,
    connect: async () => {
      const adapter = await inner.connect();
      const cache = cacheStatements((adapter as unknown as { client: Database.Database }).client);
      onConnect?.(cache);
      return adapter;
    },
    connectToShadowDb: () => inner.connectToShadowDb(),
  };
}
