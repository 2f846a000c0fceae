#!/usr/bin/env bash
# CI: the package as it would be published (`npm pack`, the `files` list), installed for production
# (`npm ci --omit=dev --omit=optional`: no build tools), starts with `npm start` on SQLite and on
# PostgreSQL, answers /readyz, serves the dashboard, and its compiled `syncbridge` bin talks to it.
# Prints the installed size (README, Production). Run after `npm ci` (which builds).
set -Eeuo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
copy="$(mktemp -d)"
database="syncbridge_production_check_$$"
server=""
stop_server() {
  if [ -n "$server" ]; then
    kill -TERM -- "-$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
    server=""
  fi
}
cleanup() {
  stop_server
  dropdb -h 127.0.0.1 -U postgres --if-exists "$database" 2>/dev/null || true
  rm -rf "$copy"
}
trap cleanup EXIT
trap 'echo "production check failed at line $LINENO" >&2; [ -f "$copy/server.log" ] && tail -n 20 "$copy/server.log" >&2' ERR

# The tarball holds exactly what `files` names, and the lockfile (npm-shrinkwrap.json, which npm
# publishes), so the install is `npm ci`.
tarball="$(cd "$root" && npm pack --ignore-scripts --silent --pack-destination "$copy")"
tar -xzf "$copy/$tarball" -C "$copy" && rm "$copy/$tarball"
[ -f "$copy/package/npm-shrinkwrap.json" ] || { echo "the tarball lacks npm-shrinkwrap.json" >&2; exit 1; }
cd "$copy/package"
# Prisma's client names its CLI and TypeScript as optional peers: npm keeps them (about 250 MB)
# unless optional packages are left out too. Nothing here needs an optional package at run time.
npm ci --omit=dev --omit=optional --no-audit --no-fund
for tool in typescript tsx vite prisma react urql gql.tada; do
  if [ -e "node_modules/$tool" ]; then echo "production install holds the build tool $tool" >&2; exit 1; fi
done
echo "production install: $(du -sm node_modules | cut -f1) MB in node_modules ($(ls node_modules | wc -l) top-level entries), $(du -sm dist client/dist | awk '{ s += $1 } END { print s }') MB built"

check_service() { # $1 = DATABASE_URL
  local started=$SECONDS url=""
  # Its own process group (setsid), so stopping it stops node too, not only npm; PORT=0: a free port.
  DATABASE_URL="$1" PORT=0 SYNCBRIDGE_WORKER_POLL_SECONDS=0.1 setsid npm start >"$copy/server.log" 2>&1 &
  server=$!
  until [ -n "$url" ] && curl -sf "$url/readyz" >"$copy/readyz.json"; do
    if ! kill -0 "$server" 2>/dev/null || [ $((SECONDS - started)) -gt 60 ]; then cat "$copy/server.log" >&2; echo "the production install did not become ready ($1)" >&2; exit 1; fi
    sleep 0.2
    url="$(grep -o '"url":"[^"]*"' "$copy/server.log" | head -n 1 | cut -d'"' -f4 || true)"
  done
  # Outputs are captured before matching: `producer | grep -q` fails under pipefail when grep
  # stops reading early.
  grep -q '"status":"ready"' "$copy/readyz.json"
  local page help enqueued id
  page="$(curl -sf "$url/")"
  [[ "$page" == *'<div id="root">'* ]] || { echo "the dashboard was not served" >&2; exit 1; }
  help="$(node dist/cli/bin.js --help)"
  [[ "$help" == *'Usage: syncbridge'* ]] || { echo "the compiled bin did not print its usage" >&2; exit 1; }
  enqueued="$(node dist/cli/bin.js --json --url "$url/graphql" enqueue customer_sync c_1001)"
  id="$(node -e 'process.stdout.write(String(JSON.parse(process.argv[1]).job.id))' "$enqueued")"
  node dist/cli/bin.js --url "$url/graphql" watch "$id" >/dev/null
  echo "production install ready on ${1%%:*} in $((SECONDS - started)) s; job $id succeeded through the compiled CLI"
  stop_server
}

check_service "file:$copy/production-check.db"
createdb -h 127.0.0.1 -U postgres "$database"
check_service "postgresql://postgres@127.0.0.1:5432/$database"
