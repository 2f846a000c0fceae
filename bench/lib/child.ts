/** Benchmark children: a TypeScript file run in its own process (group), reporting one `RESULT {json}` line. */
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const childTimeoutMs = Number(process.env.BENCH_CHILD_TIMEOUT_SECONDS ?? 300) * 1000;

/** Runs a TypeScript file in a child process; resolves with its RESULT line. */
export function runChild<T>(file: string, env: Record<string, string>, cwd = root): Promise<T> {
  return new Promise((resolve, reject) => {
    // Its own process group, so a timeout takes down whatever it started too.
    const child = spawn(process.execPath, ['--import', 'tsx', file], { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'], detached: true });
    let result: T | undefined;
    let buffered = '';
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      let end: number;
      while ((end = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, end);
        buffered = buffered.slice(end + 1);
        if (line.startsWith('RESULT ')) result = JSON.parse(line.slice(7)) as T;
      }
    });
    const timer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), childTimeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (result) resolve(result);
      else reject(new Error(`${file} exited with ${code} and no result`));
    });
  });
}
