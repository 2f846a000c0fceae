/** A SyncBridge server in its own process (`src/start.ts` of a checkout), resolved once it listens. */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

export async function startServer(dir: string, env: Record<string, string>): Promise<{ child: ChildProcess; url: string }> {
  // LOG_LEVEL info: the 'listening' line says where.
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/start.ts'], {
    cwd: dir,
    env: { ...process.env, PORT: '0', ...env, LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((done, fail) => {
    const timer = setTimeout(() => fail(new Error('the server did not start within 60 s')), 60_000);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (!line.includes('SyncBridge listening')) return;
      clearTimeout(timer);
      done((JSON.parse(line) as { url: string }).url);
    });
    child.once('exit', (code) => fail(new Error(`the server exited with ${code}`)));
  });
  return { child, url };
}
