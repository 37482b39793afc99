#!/usr/bin/env bash
# Restore a backup made by scripts/backup.sh and queue again the jobs that were on their way.
# Stop the web app, dispatcher and events consumer first; workers may keep running.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/local-env.sh
SRC=${1:?usage: scripts/restore.sh BACKUP_DIR}
DB=${DT_DB_NAME:-designtoolkit}
psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS \"$DB\" WITH (FORCE)" \
  -c "CREATE DATABASE \"$DB\""
pg_restore -h 127.0.0.1 -U postgres -d "$DB" --no-owner "$SRC/postgres.dump"
if [ -d "$SRC/influxdb" ]; then
  influxd restore -portable -host 127.0.0.1:8088 "$SRC/influxdb" >/dev/null || \
    echo "InfluxDB restore skipped databases that exist already" >&2
fi
psql -h 127.0.0.1 -U postgres -d "$DB" -v ON_ERROR_STOP=1 -qf deploy/sql/rename_app_label.sql
.venv/bin/python manage.py migrate --noinput
.venv/bin/python manage.py requeue_after_restore
# Restored job databases come back without grants; on a new server the InfluxDB users of read
# credentials are gone too (their owners create new ones on the account page).
.venv/bin/python manage.py sync_influx_grants --forget-missing
