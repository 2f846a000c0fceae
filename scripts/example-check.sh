#!/usr/bin/env bash
# CI: the worked example (examples/custom-sync, README → "Write your own sync") as a team would
# run it: a package of its own that depends on SyncBridge's packed tarball, installed from the
# registry, defining its own job type against its own HTTP upstreams. Run after `npm ci` (which
# builds). Prints the example's walk-through; fails if any step is not as described.
set -Eeuo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
copy="$(mktemp -d)"
trap 'rm -rf "$copy"' EXIT
started=$SECONDS

# The example names the tarball as ../../syncbridge-<version>.tgz: the same layout here.
mkdir -p "$copy/examples"
cp -r "$root/examples/custom-sync" "$copy/examples/"
rm -rf "$copy/examples/custom-sync/node_modules" "$copy/examples/custom-sync/package-lock.json"
(cd "$root" && npm pack --ignore-scripts --silent --pack-destination "$copy" >/dev/null)
cd "$copy/examples/custom-sync"
npm install --no-audit --no-fund --omit=dev
echo "example installed from the packed tarball in $((SECONDS - started)) s"
npm start
echo "example check passed in $((SECONDS - started)) s"
