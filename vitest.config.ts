import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Two cores: more files at once only queue up behind each other and stretch timings.
    maxWorkers: 2,
    globalSetup: ['test/globalSetup.ts'],
  },
});
