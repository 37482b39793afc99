#!/usr/bin/env bash
# Install everything the Design Toolkit needs on a Debian machine and start the services that are
# not running: PostgreSQL, RabbitMQ, Redis, InfluxDB. Idempotent: safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

log() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }

need_apt=()
command -v influxd >/dev/null || need_apt+=(influxdb)
command -v chromium >/dev/null || need_apt+=(chromium)
command -v psql >/dev/null || need_apt+=(postgresql)
command -v rabbitmq-server >/dev/null || need_apt+=(rabbitmq-server)
command -v redis-server >/dev/null || need_apt+=(redis-server)
command -v curl >/dev/null || need_apt+=(curl)
python3 -c 'import venv, ensurepip' 2>/dev/null || need_apt+=(python3-venv)
if [ ${#need_apt[@]} -gt 0 ]; then
  log "installing Debian packages: ${need_apt[*]}"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q "${need_apt[@]}"
fi

wait_port() {  # host port name
  for _ in $(seq 1 60); do
    if (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; then return 0; fi
    sleep 1
  done
  echo "$3 is not listening on $1:$2" >&2
  return 1
}

if ! (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; then
  log "starting PostgreSQL"
  $SUDO pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -n 1)" main start
fi
wait_port 127.0.0.1 5432 PostgreSQL
if ! (exec 3<>/dev/tcp/127.0.0.1/6379) 2>/dev/null; then
  log "starting Redis"
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/designtoolkit.log
fi
wait_port 127.0.0.1 6379 Redis
if ! (exec 3<>/dev/tcp/127.0.0.1/5672) 2>/dev/null; then
  log "starting RabbitMQ"
  $SUDO rabbitmq-server -detached
fi
wait_port 127.0.0.1 5672 RabbitMQ
# InfluxDB runs with authentication on (deploy/influxdb.conf). The product logs in with
# OMOTES_INFLUX_USERNAME / OMOTES_INFLUX_PASSWORD, an admin account (workers create job databases,
# the web app creates read-only users); the defaults are the development account of
# omotes/influx.py. The account is made before authentication is turned on: on a fresh server
# InfluxDB accepts one unauthenticated CREATE USER for the first admin; on a server running with
# authentication off (an older set-up, data kept) it is created, then influxd restarts with our
# config. influxd is restarted too when deploy/influxdb.conf changed since it was started.
INFLUX_URL=http://127.0.0.1:8086
INFLUX_CONF="$ROOT/deploy/influxdb.conf"
INFLUX_STATE=/var/lib/influxdb/designtoolkit  # pid and the config influxd was started with
INFLUX_USER=${OMOTES_INFLUX_USERNAME:-designtoolkit}
INFLUX_PASSWORD=${OMOTES_INFLUX_PASSWORD:-designtoolkit-dev-only-password}

curl_cfg() {  # a string in curl's config syntax (keeps the password off the command line)
  local s=${1//\\/\\\\}
  printf '"%s"' "${s//\"/\\\"}"
}
influxql_string() {  # an InfluxQL string literal
  local s=${1//\\/\\\\} q="'"
  printf "'%s'" "${s//$q/\\$q}"
}
influxql_name() {  # an InfluxQL identifier
  local s=${1//\\/\\\\}
  printf '"%s"' "${s//\"/\\\"}"
}
influx_query() {  # auth|noauth STATEMENT: prints the answer, then the HTTP status on its own line
  {
    echo "url = $(curl_cfg "$INFLUX_URL/query")"
    [ "$1" = auth ] && echo "user = $(curl_cfg "$INFLUX_USER:$INFLUX_PASSWORD")"
    echo "data-urlencode = $(curl_cfg "q=$2")"
  } | curl -s -X POST -w '\n%{http_code}' -K - || echo 000
}
influx_ok() {  # answer of influx_query: HTTP 200 and no statement error
  [ "$(tail -n 1 <<<"$1")" = 200 ] && ! grep -q '"error"' <<<"$1"
}
influx_start() {
  log "starting InfluxDB"
  $SUDO mkdir -p /var/lib/influxdb /var/log/influxdb "$INFLUX_STATE"
  nohup influxd -config "$INFLUX_CONF" >>/var/log/influxdb/designtoolkit.log 2>&1 &
  echo $! | $SUDO tee "$INFLUX_STATE/pid" >/dev/null
  $SUDO cp "$INFLUX_CONF" "$INFLUX_STATE/influxdb.conf"
  for _ in $(seq 1 60); do curl -sf -o /dev/null "$INFLUX_URL/ping" && break; sleep 1; done
  curl -sf -o /dev/null "$INFLUX_URL/ping" || { echo "InfluxDB did not start" >&2; exit 1; }
}
influx_stop() {  # only an influxd this script started (pid file, or our exact command line)
  local pid=""
  if [ -f "$INFLUX_STATE/pid" ] && grep -qs influxd "/proc/$(cat "$INFLUX_STATE/pid")/cmdline"; then
    pid=$(cat "$INFLUX_STATE/pid")
  else
    pid=$(pgrep -xf "influxd -config $INFLUX_CONF" | head -n 1 || true)
  fi
  if [ -z "$pid" ]; then
    echo "InfluxDB on $INFLUX_URL was not started by scripts/setup.sh: stop it, or set" \
      "auth-enabled = true in its own config and restart it, then run this again" >&2
    exit 1
  fi
  log "restarting InfluxDB (pid $pid) with $INFLUX_CONF"
  $SUDO kill "$pid"
  for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  if kill -0 "$pid" 2>/dev/null; then echo "InfluxDB (pid $pid) did not stop" >&2; exit 1; fi
}

curl -sf -o /dev/null "$INFLUX_URL/ping" || influx_start
user_sql="CREATE USER $(influxql_name "$INFLUX_USER") WITH PASSWORD $(influxql_string "$INFLUX_PASSWORD") WITH ALL PRIVILEGES"
restart=no
if influx_ok "$(influx_query noauth "SHOW DATABASES")"; then
  # Authentication is off: (re)make the account as configured, then turn authentication on.
  log "InfluxDB runs without authentication: creating account $INFLUX_USER, turning it on"
  influx_query noauth "$user_sql" >/dev/null  # "user already exists" is fine: next two settle it
  for statement in \
    "SET PASSWORD FOR $(influxql_name "$INFLUX_USER") = $(influxql_string "$INFLUX_PASSWORD")" \
    "GRANT ALL PRIVILEGES TO $(influxql_name "$INFLUX_USER")"; do
    answer=$(influx_query noauth "$statement")
    influx_ok "$answer" || { echo "InfluxDB: $statement failed: $answer" >&2; exit 1; }
  done
  restart=yes
else
  answer=$(influx_query auth "SHOW USERS")
  if grep -q "create admin user first" <<<"$answer"; then
    log "creating InfluxDB admin account $INFLUX_USER"
    answer=$(influx_query noauth "$user_sql")
    influx_ok "$answer" || { echo "InfluxDB: creating $INFLUX_USER failed: $answer" >&2; exit 1; }
  elif ! influx_ok "$answer"; then
    echo "InfluxDB refuses the account $INFLUX_USER (OMOTES_INFLUX_USERNAME/PASSWORD) or it is" \
      "not an admin: $answer" >&2
    exit 1
  fi
fi
if ! cmp -s "$INFLUX_CONF" "$INFLUX_STATE/influxdb.conf"; then restart=yes; fi
if [ "$restart" = yes ]; then
  influx_stop
  influx_start
  influx_ok "$(influx_query auth "SHOW USERS")" || {
    echo "InfluxDB refuses $INFLUX_USER after the restart" >&2; exit 1; }
  ! influx_ok "$(influx_query noauth "SHOW DATABASES")" || {
    echo "InfluxDB still answers without credentials: is auth-enabled on in $INFLUX_CONF?" >&2
    exit 1; }
fi

if [ ! -x .venv/bin/python ]; then
  log "creating the virtual environment"
  python3 -m venv .venv
fi
# Runtime (requirements.txt) and development (requirements-dev.txt: tests, checks, benchmarks).
if ! cat requirements.txt requirements-dev.txt | cmp -s - .venv/.requirements.installed; then
  log "installing Python requirements"
  .venv/bin/pip install -q --upgrade pip
  .venv/bin/pip install -q -r requirements-dev.txt
  cat requirements.txt requirements-dev.txt >.venv/.requirements.installed
fi
# The open core as an installed distribution (editable: the code stays in omotes/): the workflows a
# worker finds by name are its entry points, read from the installed metadata. Installed again
# when omotes/pyproject.toml changes (new entry points, dependencies).
if ! cmp -s omotes/pyproject.toml .venv/.omotes-pyproject.installed 2>/dev/null; then
  log "installing the open core (omotes/, editable)"
  .venv/bin/pip install -q -e ./omotes
  cp omotes/pyproject.toml .venv/.omotes-pyproject.installed
fi

# The optimiser's worker runs from a venv of its own (mesido pins numpy 1.25 / pandas 1.5 and
# needs Python < 3.12): python3.11, requirements-optimizer.txt, and the same open core. Skipped
# (with a note) where no python3.11 is found; scripts/run.sh then starts no optimiser worker.
OPT_PYTHON=${DT_OPTIMIZER_PYTHON:-$(command -v python3.11 || true)}
if [ -n "$OPT_PYTHON" ]; then
  if [ ! -x .venv-optimizer/bin/python ]; then
    log "creating the optimiser's virtual environment (.venv-optimizer)"
    "$OPT_PYTHON" -m venv .venv-optimizer
  fi
  if ! cmp -s requirements-optimizer.txt .venv-optimizer/.requirements.installed 2>/dev/null; then
    log "installing the optimiser's requirements (mesido; about a minute)"
    .venv-optimizer/bin/pip install -q --upgrade pip
    .venv-optimizer/bin/pip install -q -r requirements-optimizer.txt
    cp requirements-optimizer.txt .venv-optimizer/.requirements.installed
  fi
  if ! cmp -s omotes/pyproject.toml .venv-optimizer/.omotes-pyproject.installed 2>/dev/null; then
    .venv-optimizer/bin/pip install -q --no-deps -e ./omotes
    cp omotes/pyproject.toml .venv-optimizer/.omotes-pyproject.installed
  fi
else
  log "no python3.11: the optimiser (mesido) is not installed; set DT_OPTIMIZER_PYTHON"
fi

DB_NAME=${DT_DB_NAME:-designtoolkit}
if ! psql -h 127.0.0.1 -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname='$DB_NAME'" | grep -q 1; then
  log "creating database $DB_NAME"
  psql -h 127.0.0.1 -U postgres -c "CREATE DATABASE \"$DB_NAME\""
fi
psql -h 127.0.0.1 -U postgres -d "$DB_NAME" -v ON_ERROR_STOP=1 -qf deploy/sql/rename_app_label.sql
log "ready"
