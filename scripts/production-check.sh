#!/usr/bin/env bash
# CI: the package as it would be published (`npm pack`, the `files` list), installed for production
# (`npm ci --omit=dev --omit=optional`: no build tools), starts with `npm start` on SQLite and on
# PostgreSQL, answers /readyz, serves the dashboard, and its compiled `syncbridge` bin talks to it.
# Prints the installed size (README "Production install"). Run after `npm ci` (which builds).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
copy="$(mktemp -d)"
port=4817
database="syncbridge_production_check_$$"
server=""
cleanup() {
  if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
  dropdb -h 127.0.0.1 -U postgres --if-exists "$database" 2>/dev/null || true
  rm -rf "$copy"
}
trap cleanup EXIT

# The tarball holds exactly what `files` names; the lockfile comes along so the install is `npm ci`.
tarball="$(cd "$root" && npm pack --ignore-scripts --silent --pack-destination "$copy")"
tar -xzf "$copy/$tarball" -C "$copy" && rm "$copy/$tarball"
cp "$root/package-lock.json" "$copy/package/"
cd "$copy/package"
# Prisma's client names its CLI and TypeScript as optional peers: npm keeps them (about 250 MB)
# unless optional packages are left out too. Nothing here needs an optional package at run time.
npm ci --omit=dev --omit=optional --no-audit --no-fund
for tool in typescript tsx vite prisma react urql gql.tada; do
  if [ -e "node_modules/$tool" ]; then echo "production install holds the build tool $tool" >&2; exit 1; fi
done
echo "production install: $(du -sm node_modules | cut -f1) MB in node_modules ($(ls node_modules | wc -l) top-level entries), $(du -sm dist client/dist | awk '{ s += $1 } END { print s }') MB built"

check_service() { # $1 = DATABASE_URL
  local started=$SECONDS
  DATABASE_URL="$1" PORT=$port SYNCBRIDGE_WORKER_POLL_SECONDS=0.1 npm start >"$copy/server.log" 2>&1 &
  server=$!
  until curl -sf "http://127.0.0.1:$port/readyz" >"$copy/readyz.json"; do
    if ! kill -0 "$server" 2>/dev/null || [ $((SECONDS - started)) -gt 60 ]; then cat "$copy/server.log" >&2; echo "the production install did not become ready ($1)" >&2; exit 1; fi
    sleep 0.2
  done
  grep -q '"status":"ready"' "$copy/readyz.json"
  curl -sf "http://127.0.0.1:$port/" | grep -q '<div id="root">'
  node dist/cli/bin.js --help | grep -q 'Usage: syncbridge'
  local enqueued
  enqueued="$(node dist/cli/bin.js --json --url "http://127.0.0.1:$port/graphql" enqueue customer_sync c_1001)"
  local id
  id="$(node -e 'process.stdout.write(String(JSON.parse(process.argv[1]).job.id))' "$enqueued")"
  node dist/cli/bin.js --url "http://127.0.0.1:$port/graphql" watch "$id" >/dev/null
  echo "production install ready on ${1%%:*} in $((SECONDS - started)) s; job $id succeeded through the compiled CLI"
  kill "$server"
  wait "$server" || true
  server=""
}

check_service "file:$copy/production-check.db"
createdb -h 127.0.0.1 -U postgres "$database"
check_service "postgresql://postgres@127.0.0.1:5432/$database"
