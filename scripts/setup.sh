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
if ! curl -sf -o /dev/null http://127.0.0.1:8086/ping; then
  log "starting InfluxDB"
  $SUDO mkdir -p /var/lib/influxdb /var/log/influxdb
  nohup influxd -config "$ROOT/deploy/influxdb.conf" >>/var/log/influxdb/designtoolkit.log 2>&1 &
  for _ in $(seq 1 60); do curl -sf -o /dev/null http://127.0.0.1:8086/ping && break; sleep 1; done
  curl -sf -o /dev/null http://127.0.0.1:8086/ping || { echo "InfluxDB did not start" >&2; exit 1; }
fi

if [ ! -x .venv/bin/python ]; then
  log "creating the virtual environment"
  python3 -m venv .venv
fi
if ! cmp -s requirements.txt .venv/.requirements.installed 2>/dev/null; then
  log "installing Python requirements"
  .venv/bin/pip install -q --upgrade pip
  .venv/bin/pip install -q -r requirements.txt
  cp requirements.txt .venv/.requirements.installed
fi

DB_NAME=${DT_DB_NAME:-designtoolkit}
if ! psql -h 127.0.0.1 -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname='$DB_NAME'" | grep -q 1; then
  log "creating database $DB_NAME"
  psql -h 127.0.0.1 -U postgres -c "CREATE DATABASE \"$DB_NAME\""
fi
log "ready"
