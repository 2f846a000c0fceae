import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';

const require = createRequire(import.meta.url);

export default defineConfig({
  resolve: {
    // Node loads graphql's CommonJS entry for our dependencies (Pothos, Yoga); Vite would pick its
    // .mjs entry for our own files, and graphql refuses to mix the two ("another module or realm").
    alias: { graphql: require.resolve('graphql/index.js') },
  },
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
