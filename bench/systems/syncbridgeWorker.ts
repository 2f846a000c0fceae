/** One SyncBridge worker process for the multi-process run: no-op handler, prints READY, runs until SIGTERM. */
import { pino } from 'pino';
import { loadConfig } from '../../src/config/index.js';
import { defineJobType } from '../../src/index.js';
import { startSyncBridge } from '../../src/main.js';

const config = loadConfig({ DATABASE_URL: process.env.BENCH_DB_URL, PORT: '0', SYNCBRIDGE_WORKER_CONCURRENCY: process.env.BENCH_CONCURRENCY ?? '10', LOG_LEVEL: 'silent' });
const app = await startSyncBridge(config, { logger: pino({ level: 'silent' }), jobTypes: [defineJobType({ name: 'customer_sync', handler: () => {} })] });
console.log('READY');
process.on('SIGTERM', () => void app.stop().then(() => process.exit(0)));
