/** Generates the Prisma clients if a fresh checkout has not yet (npm ci runs it too). */
import { existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

export default function setup() {
  if (!existsSync('src/db/generated/sqlite/client.ts') || !existsSync('src/db/generated/postgresql/client.ts')) {
    execFileSync(process.execPath, ['--import', 'tsx', 'scripts/prisma-generate.ts'], { stdio: 'inherit' });
  }
}
