#!/bin/bash
# Compose replica: clone the primary with pg_basebackup -R on first start, then run as a standby.
set -euo pipefail
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  until pg_isready -h "$PRIMARY_HOST" -p 5432; do sleep 1; done
  rm -rf "${PGDATA:?}"/*
  PGPASSWORD="$REPLICATION_PASSWORD" pg_basebackup -h "$PRIMARY_HOST" -p 5432 -U replicator \
    -D "$PGDATA" -R -X stream -c fast -S replica1_slot
  chmod 0700 "$PGDATA"
fi
# A hot standby refuses to start with fewer connections than the primary allows (its -c is not
# in the cloned postgresql.conf): keep MAX_CONNECTIONS equal to the primary's. JIT is off as on
# the primary: the service's sessions reach it through PgBouncer, which cannot pass it per session.
exec postgres -c hot_standby=on -c hot_standby_feedback=on -c max_connections="${MAX_CONNECTIONS:-200}" \
  -c jit=off
