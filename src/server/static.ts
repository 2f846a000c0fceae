/**
 * Serves the dashboard built by Vite (client/dist): hashed assets with long caching, and
 * index.html for the app's own URLs (/, /jobs/:id, /processes, /schedules, /alerts) so shared links open directly.
 */
import { createReadStream, existsSync, statSync } from 'node:fs';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RouteHandler } from './http.js';

export const clientDist = fileURLToPath(new URL('../../client/dist', import.meta.url));

const types: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
};

const appRoutes = /^\/(jobs\/\d+\/?|processes\/?|schedules\/?|alerts\/?)?$/;

export function staticRoutes(root = clientDist): RouteHandler {
  return (req, res, path) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return false;
    let file: string | undefined;
    let immutable = false;
    if (appRoutes.test(path)) file = join(root, 'index.html');
    else if (path.startsWith('/assets/')) {
      const resolved = normalize(join(root, decodeURIComponent(path)));
      if (!resolved.startsWith(root + sep)) return false;
      file = resolved;
      immutable = true;
    } else return false;
    if (!existsSync(file) || !statSync(file).isFile()) {
      if (path.startsWith('/assets/')) return false;
      res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8' });
      res.end('The dashboard is not built. Run `npm run build:client` (npm install does it), then reload.\n');
      return true;
    }
    res.writeHead(200, {
      'content-type': types[extname(file)] ?? 'application/octet-stream',
      'cache-control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
      'x-content-type-options': 'nosniff',
    });
    if (req.method === 'HEAD') res.end();
    else createReadStream(file).pipe(res);
    return true;
  };
}
