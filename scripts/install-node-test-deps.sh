#!/usr/bin/env bash
# Installs the npm packages the migrations tests run (knex and the pg driver) into DIR
# (default /tmp/readyctl-node-test-deps) and prints the export line for the tests:
#   export READYCTL_TEST_NODE_MODULES=DIR/node_modules
# Takes about 10 s with a warm npm cache.
set -euo pipefail
dir="${1:-/tmp/readyctl-node-test-deps}"
mkdir -p "$dir"
cd "$dir"
[ -f package.json ] || npm init -y >/dev/null
npm install --no-audit --no-fund knex@3.3.0 pg@8.23.1 >/dev/null
echo "export READYCTL_TEST_NODE_MODULES=$dir/node_modules"
