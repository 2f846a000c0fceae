import react from '@vitejs/plugin-react';
import { defaultClientConditions, defineConfig } from 'vite';

// Built into client/dist at install time (npm's prepare step); the server serves it at /.
export default defineConfig({
  root: __dirname,
  plugins: [react()],
  // `syncbridge/domain` from the package's own exports, in its TypeScript source (the `source` condition).
  resolve: { conditions: ['source', ...defaultClientConditions] },
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: true },
  server: { proxy: { '/graphql': { target: 'http://127.0.0.1:4000', ws: true } } },
});
