#!/usr/bin/env bash
# Restore a backup made by scripts/backup.sh and queue again the jobs that were on their way.
# Stop the web app, dispatcher and events consumer first; workers may keep running.
# Replaces the database DT_DB_NAME and the InfluxDB databases in the backup (no others). Stops
# at the first failure with an error: a half-restored product does not start by accident.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/local-env.sh
PY=${DT_PYTHON:-.venv/bin/python}
SRC=${1:?usage: scripts/restore.sh BACKUP_DIR}
[ -f "$SRC/postgres.dump" ] || { echo "$SRC/postgres.dump is missing" >&2; exit 1; }
[ -d "$SRC/influxdb" ] || { echo "$SRC/influxdb is missing" >&2; exit 1; }
DB=${DT_DB_NAME:-designtoolkit}
[ -n "${DT_DB_PASSWORD:-}" ] && export PGPASSWORD=$DT_DB_PASSWORD
PG=(-h "${DT_DB_HOST:-127.0.0.1}" -p "${DT_DB_PORT:-5432}" -U "${DT_DB_USER:-postgres}")
psql "${PG[@]}" -v ON_ERROR_STOP=1 -qc "DROP DATABASE IF EXISTS \"$DB\" WITH (FORCE)" \
  -c "CREATE DATABASE \"$DB\""
pg_restore "${PG[@]}" -d "$DB" --no-owner --exit-on-error "$SRC/postgres.dump"
psql "${PG[@]}" -d "$DB" -v ON_ERROR_STOP=1 -qf deploy/sql/rename_app_label.sql
$PY manage.py migrate --noinput
$PY manage.py influx_backup restore "$SRC/influxdb"
$PY manage.py requeue_after_restore
# Restored job databases come back without grants; on a new server the InfluxDB users of read
# credentials are gone too (their owners create new ones on the account page).
$PY manage.py sync_influx_grants --forget-missing
echo "restored $SRC"
