#!/usr/bin/env bash
# Consistent backup of the Design Toolkit: PostgreSQL (the system of record for jobs) and
# InfluxDB (results and profiles), taken one right after the other into one folder.
# Jobs that finish between the two dumps are harmless: on restore they are queued again
# (scripts/restore.sh) and their results are written again, one value per series and time.
set -euo pipefail
cd "$(dirname "$0")/.."
DEST=${1:-var/backups/$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$DEST"
pg_dump -h "${DT_DB_HOST:-127.0.0.1}" -U "${DT_DB_USER:-postgres}" -Fc \
  -f "$DEST/postgres.dump" "${DT_DB_NAME:-designtoolkit}"
# The backup service (RPC on 127.0.0.1:8088) needs no InfluxDB credentials. A portable backup holds
# the databases, not InfluxDB's users: restore.sh puts read grants back (manage.py sync_influx_grants).
influxd backup -portable -host 127.0.0.1:8088 "$DEST/influxdb" >/dev/null
echo "$DEST"
