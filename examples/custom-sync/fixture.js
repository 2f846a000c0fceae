// @ts-check
/**
 * Stand-ins for the two systems, on one small HTTP server: a helpdesk (GET /helpdesk/contacts/:id,
 * bearer token required) and a billing API (POST /billing/customers). The contact `h_flaky`
 * answers 503 the first time it is asked for, as a helpdesk restarting would.
 *
 *   node fixture.js            # listens on FIXTURE_PORT (default 4100)
 */
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';

const contacts = {
  h_ann: { organization: 'Acme' },
  h_flaky: { organization: 'Globex' },
  h_loner: {},
};

/** @param {{ token: string }} options */
export function createFixture({ token }) {
  const failedOnce = new Set();
  /** @type {{ method: string, path: string, authorization: string | undefined, body: unknown }[]} */
  const requests = [];
  const server = createServer((req, res) => {
    let raw = '';
    req.on('data', (chunk) => (raw += chunk));
    req.on('end', () => {
      const path = req.url ?? '';
      requests.push({ method: req.method ?? '', path, authorization: req.headers.authorization, body: raw ? JSON.parse(raw) : undefined });
      /** @param {number} status @param {unknown} [body] */
      const send = (status, body) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(body === undefined ? '' : JSON.stringify(body));
      };
      const contact = /^\/helpdesk\/contacts\/([^/?]+)$/.exec(path);
      if (contact) {
        if (req.headers.authorization !== `Bearer ${token}`) return send(401, { error: 'a bearer token is required' });
        const id = decodeURIComponent(contact[1] ?? '');
        if (id === 'h_flaky' && !failedOnce.has(id)) {
          failedOnce.add(id);
          return send(503, { error: 'helpdesk restarting, try again' });
        }
        const found = contacts[/** @type {keyof typeof contacts} */ (id)];
        return found ? send(200, { id, ...found }) : send(404, { error: `no contact ${id}` });
      }
      if (path === '/billing/customers' && req.method === 'POST') return send(201, { id: `cus_${requests.length}`, ...JSON.parse(raw) });
      send(404, { error: 'no such route' });
    });
  });
  return {
    requests,
    /** @param {number} port */
    listen: (port) => new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(server.address()))),
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const fixture = createFixture({ token: process.env.HELPDESK_TOKEN ?? 'example-token' });
  const address = await fixture.listen(Number(process.env.FIXTURE_PORT ?? 4100));
  console.log(`fixture upstreams on ${JSON.stringify(address)}`);
}
