// `prepare`: npm runs it after every install of this tree, so `npm install && npm start` works on
// a fresh clone. A production install (`npm ci --omit=dev` on a built tree) runs it too, without
// the build tools: there the build must already be present, and it is used as it is.
// Plain JavaScript because tsx itself is a dev dependency.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'package.json'));
const buildTools = ['typescript', 'tsx', 'vite', 'prisma'];
const buildOutputs = ['dist/start.js', 'dist/cli/bin.js', 'client/dist/index.html', 'client/dist/trusted-documents.json'];

function installed(name) {
  try {
    require.resolve(`${name}/package.json`);
    return true;
  } catch {
    return false;
  }
}

if (buildTools.every(installed)) {
  const npm = process.env.npm_execpath;
  const result = npm ? spawnSync(process.execPath, [npm, 'run', 'build'], { cwd: root, stdio: 'inherit' }) : spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
  process.exit(result.status ?? 1);
}
const missing = buildOutputs.filter((path) => !existsSync(join(root, path)));
if (missing.length) {
  console.error(`prepare: the build tools are not installed (${buildTools.filter((name) => !installed(name)).join(', ')}) and the build is missing (${missing.join(', ')}).`);
  console.error('Build first with the dev dependencies (npm ci && npm run build), then install for production (npm ci --omit=dev).');
  process.exit(1);
}
console.log('prepare: production install (no build tools); using the build in dist/ and client/dist/.');
