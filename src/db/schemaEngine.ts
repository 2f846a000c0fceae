/**
 * Prisma's schema engine, compiled to WebAssembly (@prisma/schema-engine-wasm), so migrations run
 * offline on any machine: the CLI's native engine is a download that machines without internet
 * access cannot make. Node 20 cannot `import` a .wasm module without a flag, so we instantiate it
 * ourselves and hand it to the wasm-bindgen glue, exactly as the package's own entry point does.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { bindMigrationAwareSqlAdapterFactory, type SqlDriverAdapter, type SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';

type Glue = typeof import('@prisma/schema-engine-wasm');
export type SchemaEngine = Awaited<ReturnType<Glue['SchemaEngine']['new']>>;

let gluePromise: Promise<Glue> | undefined;

async function loadGlue(): Promise<Glue> {
  const require = createRequire(import.meta.url);
  const entry = require.resolve('@prisma/schema-engine-wasm');
  const gluePath = entry.replace(/schema_engine\.js$/, 'schema_engine_bg.js');
  const glue = (await import(gluePath)) as Glue & { __wbg_set_wasm(exports: WebAssembly.Exports): void };
  const bytes = readFileSync(entry.replace(/schema_engine\.js$/, 'schema_engine_bg.wasm'));
  const { instance } = await WebAssembly.instantiate(bytes, {
    './schema_engine_bg.js': glue as unknown as WebAssembly.ModuleImports,
  });
  glue.__wbg_set_wasm(instance.exports);
  (instance.exports.__wbindgen_start as () => void)();
  return glue;
}

/**
 * adapter-pg runs a migration script split at every ';' (its executeScript), which cuts a SQL
 * function's body apart (syncbridge_enqueue). PostgreSQL takes the whole script as one simple
 * query, dollar quotes intact and in one implicit transaction. test/libraryEdges.test.ts checks
 * that adapter-pg still splits: when it stops, this goes.
 */
function wholeScripts(adapter: SqlDriverAdapter): SqlDriverAdapter {
  if (adapter.provider !== 'postgres') return adapter;
  const pool = (adapter as unknown as { underlyingDriver(): { query(text: string): Promise<unknown> } }).underlyingDriver();
  return Object.assign(Object.create(adapter) as SqlDriverAdapter, {
    executeScript: async (script: string) => {
      await pool.query(script);
    },
  });
}

export interface OpenSchemaEngine {
  engine: SchemaEngine;
  /** Frees the engine and closes every connection it opened. */
  close(): Promise<void>;
}

/**
 * Opens a schema engine on the database behind `adapterFactory`. `engine.free()` alone leaves the
 * engine's connections open until garbage collection, and on SQLite an open one holds the file's
 * lock (the next writer gets SQLITE_BUSY), so we track them and dispose of them on `close()`.
 */
export async function openSchemaEngine(
  adapterFactory: SqlMigrationAwareDriverAdapterFactory,
  schema: string,
  log: (message: string) => void = () => {},
): Promise<OpenSchemaEngine> {
  gluePromise ??= loadGlue();
  const glue = await gluePromise;
  const opened: SqlDriverAdapter[] = [];
  const tracking: SqlMigrationAwareDriverAdapterFactory = {
    provider: adapterFactory.provider,
    adapterName: adapterFactory.adapterName,
    connect: async () => {
      const adapter = await adapterFactory.connect();
      opened.push(adapter);
      return wholeScripts(adapter);
    },
    connectToShadowDb: async () => {
      const adapter = await adapterFactory.connectToShadowDb();
      opened.push(adapter);
      return adapter;
    },
  };
  const engine = await glue.SchemaEngine.new({ datamodels: [['schema.prisma', schema]] }, log, bindMigrationAwareSqlAdapterFactory(tracking));
  return {
    engine,
    close: async () => {
      engine.free();
      await Promise.all(opened.map((adapter) => adapter.dispose().catch(() => {})));
    },
  };
}
