#!/usr/bin/env bash
# Start a local PostgreSQL server (Debian's package) for the database tests and print its URL.
# Prints nothing, and exits 0, when it cannot (no root, no package): the PostgreSQL tests then skip.
set -uo pipefail
log=/tmp/kb-postgres.log
{
  if ! command -v pg_ctlcluster >/dev/null; then
    [ "$(id -u)" = 0 ] || exit 0
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql
  fi
  ver=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1)
  if [ -z "$ver" ]; then
    ver=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
    pg_createcluster "$ver" main
  fi
  pg_ctlcluster "$ver" main start 2>/dev/null || pg_ctlcluster "$ver" main status
  for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 && break; sleep 0.5; done
  as_pg() { su postgres -c "$1"; }
  as_pg "psql -tAc \"SELECT 1 FROM pg_roles WHERE rolname='kb'\"" | grep -q 1 ||
    as_pg "psql -qc \"CREATE ROLE kb LOGIN PASSWORD 'kb'\""
  as_pg "psql -tAc \"SELECT 1 FROM pg_database WHERE datname='kb_test'\"" | grep -q 1 ||
    as_pg "createdb -O kb kb_test"
} >"$log" 2>&1 || exit 0
pg_isready -q -h 127.0.0.1 && echo "postgresql+psycopg://kb:kb@127.0.0.1:5432/kb_test"
exit 0
