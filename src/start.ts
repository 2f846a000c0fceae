#!/usr/bin/env node
/**
 * The service entry: `npm start`. Config errors (a bad variable, a job types module that fails to
 * load or validate, an upstream without its credential), a database that cannot be reached within
 * the start-up wait, and failed migrations end the process with one clear message (exit 2, 4, 3).
 * SIGINT or SIGTERM stops gracefully (running jobs get the grace period); a second signal exits at once.
 */
import { ConfigError, loadConfig } from './config/index.js';
import { MigrationError } from './db/migrations.js';
import { DatabaseUnreachableError } from './db/client.js';
import { startSyncBridge } from './main.js';
import { JobTypeDefinitionError } from './platform/defineJobType.js';
import { JobTypesModuleError } from './platform/loadModule.js';
import { UpstreamConfigError } from './platform/upstreamClient.js';

async function main() {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(2);
    }
    throw error;
  }
  let app;
  try {
    app = await startSyncBridge(config);
  } catch (error) {
    if (error instanceof JobTypesModuleError || error instanceof JobTypeDefinitionError || error instanceof UpstreamConfigError) {
      console.error(error.message);
      process.exit(2);
    }
    if (error instanceof MigrationError) {
      console.error(error.message);
      process.exit(3);
    }
    if (error instanceof DatabaseUnreachableError) {
      console.error(error.message);
      process.exit(4);
    }
    throw error;
  }
  // A rejection nobody handled is a bug to log, not a reason to drop every connection and job in
  // flight; an uncaught exception leaves state unknown, so the process stops (gracefully, bounded).
  process.on('unhandledRejection', (reason) => app.logger.error({ err: reason }, 'unhandled promise rejection; the service carries on'));
  process.on('uncaughtException', (error) => {
    app.logger.fatal({ err: error }, 'uncaught exception; stopping');
    setTimeout(() => process.exit(1), 15_000).unref();
    void app.stop().finally(() => process.exit(1));
  });
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals += 1;
    if (signals > 1) {
      app.logger.warn({ signal }, 'second signal: exiting now');
      process.exit(130);
    }
    app.logger.info({ signal }, 'shutting down (send the signal again to force)');
    app.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        app.logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

void main();
