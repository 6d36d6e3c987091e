#!/usr/bin/env bash
# with-postgres.sh CMD ARGS...
#
# Runs CMD with a throwaway PostgreSQL cluster: initdb in a temp dir owned by an unprivileged
# user, server on a free port on 127.0.0.1 only (no Unix socket outside the temp dir), trust auth
# on loopback. Exports READYCTL_TEST_PG_URL=postgres://USER@127.0.0.1:PORT/postgres.
# The server is always stopped and the dir removed (trap), also when CMD fails; exits with
# CMD's status.
set -euo pipefail

if [ $# -eq 0 ]; then
  echo "usage: $0 CMD [ARGS...]" >&2
  exit 2
fi

find_bin() {
  local name=$1 dir
  if command -v "$name" >/dev/null 2>&1; then command -v "$name"; return; fi
  for dir in /usr/local/bin /usr/lib/postgresql/*/bin; do
    if [ -x "$dir/$name" ]; then echo "$dir/$name"; return; fi
  done
  echo "with-postgres: $name not found (install PostgreSQL server binaries)" >&2
  exit 127
}
INITDB=$(find_bin initdb)
PG_CTL=$(find_bin pg_ctl)

PG_USER_OS=$(id -un)
run_as() { "$@"; }
if [ "$(id -u)" = 0 ]; then
  # PostgreSQL refuses to run as root: use a dedicated system user (created once), or nobody.
  PG_USER_OS=readyctl-pg
  if ! id "$PG_USER_OS" >/dev/null 2>&1; then
    useradd --system --no-create-home --shell /usr/sbin/nologin "$PG_USER_OS" 2>/dev/null \
      || PG_USER_OS=nobody
  fi
  if command -v runuser >/dev/null 2>&1; then
    run_as() { runuser -u "$PG_USER_OS" -- "$@"; }
  else
    run_as() { su -s /bin/sh "$PG_USER_OS" -c "$(printf '%q ' "$@")"; }
  fi
fi

TMP=$(mktemp -d "${TMPDIR:-/tmp}/readyctl-pg.XXXXXX")
chmod 700 "$TMP"
[ "$(id -u)" = 0 ] && chown "$PG_USER_OS" "$TMP"
DATA="$TMP/data"

cleanup() {
  local status=$?
  if [ -f "$DATA/postmaster.pid" ]; then
    run_as "$PG_CTL" -D "$DATA" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$TMP"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# A free port: ask the kernel for one (bind to port 0), then release it for postgres.
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')

DB_USER=postgres
run_as "$INITDB" -D "$DATA" -U "$DB_USER" --auth=trust --encoding=UTF8 --no-locale \
  --no-sync >"$TMP/initdb.log" 2>&1 || { cat "$TMP/initdb.log" >&2; exit 1; }

# fsync off and small buffers: a disposable test cluster, speed over durability.
run_as "$PG_CTL" -D "$DATA" -l "$TMP/server.log" -w -t 30 \
  -o "-c listen_addresses=127.0.0.1 -p $PORT -k $TMP -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=50" \
  start >/dev/null || { cat "$TMP/server.log" >&2; exit 1; }

export READYCTL_TEST_PG_URL="postgres://$DB_USER@127.0.0.1:$PORT/postgres"
set +e
"$@"
status=$?
set -e
exit "$status"
