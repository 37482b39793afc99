#!/usr/bin/env bash
# Consistent backup of the Design Toolkit: PostgreSQL (the system of record for jobs) and
# InfluxDB (results and profiles), taken one right after the other into one folder.
# Jobs that finish between the two dumps are harmless: on restore they are queued again
# (scripts/restore.sh) and their results are written again, one value per series and time.
#
#   scripts/backup.sh [DIR]   default DIR: $DT_BACKUP_DIR/<UTC time> (DT_BACKUP_DIR: var/backups)
#
# A backup is written to DIR.partial and renamed to DIR when complete; then only the newest
# DT_BACKUP_KEEP (default 7) complete backups in DT_BACKUP_DIR are kept. Daily from cron:
#   15 2 * * *  cd /srv/designtoolkit && scripts/backup.sh >>var/log/backup.log 2>&1
# Database names come from the environment as for the product: DT_DB_NAME, DT_INFLUX_PROFILES_DB
# (only this installation's InfluxDB databases are saved: manage.py influx_backup).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/local-env.sh
PY=${DT_PYTHON:-.venv/bin/python}
BACKUPS=${DT_BACKUP_DIR:-var/backups}
KEEP=${DT_BACKUP_KEEP:-7}
DEST=${1:-$BACKUPS/$(date -u +%Y%m%dT%H%M%SZ)}
[ -n "${DT_DB_PASSWORD:-}" ] && export PGPASSWORD=$DT_DB_PASSWORD
rm -rf "$DEST.partial"
mkdir -p "$DEST.partial"
pg_dump -h "${DT_DB_HOST:-127.0.0.1}" -p "${DT_DB_PORT:-5432}" -U "${DT_DB_USER:-postgres}" -Fc \
  -f "$DEST.partial/postgres.dump" "${DT_DB_NAME:-designtoolkit}"
# Portable InfluxDB backups hold databases, not InfluxDB's users: restore.sh puts the read grants
# of people's credentials back (manage.py sync_influx_grants).
$PY manage.py influx_backup backup "$DEST.partial/influxdb" >/dev/null
mv "$DEST.partial" "$DEST"
if [ -z "${1:-}" ]; then  # rotation of the dated backups only
  find "$BACKUPS" -mindepth 1 -maxdepth 1 -type d -name '????????T??????Z' | sort | \
    head -n "-$KEEP" | xargs -r rm -rf
fi
echo "$DEST"
