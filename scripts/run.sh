#!/usr/bin/env bash
# Set everything up and run the Design Toolkit: web app (ASGI), dispatcher, events consumer, profile
# binder and two workers (simulator; simulation + KPIs), with a demo user, project and model.
# Ctrl-C stops them all.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
source scripts/local-env.sh
# Served over plain HTTP on 127.0.0.1 (not reachable from elsewhere): cookies without "Secure".
export DT_SECURE_COOKIES=${DT_SECURE_COOKIES:-0}
PY=.venv/bin/python
PORT=${DT_PORT:-8000}
mkdir -p var/log
$PY manage.py migrate --noinput
$PY manage.py collectstatic --noinput >/dev/null
$PY manage.py load_pipe_catalogue
$PY manage.py create_demo

pids=()
start() {  # name command...
  local name=$1; shift
  "$@" >>"var/log/$name.log" 2>&1 &
  pids+=($!)
  echo "started $name (pid $!, log var/log/$name.log)"
}
trap 'kill "${pids[@]}" 2>/dev/null; wait' EXIT INT TERM
start web $PY -m designtoolkit.webserver -b 127.0.0.1 -p "$PORT" designtoolkit.asgi:application
start dispatcher $PY manage.py run_dispatcher
start events $PY manage.py run_events_consumer
start profiles $PY manage.py run_profile_binder  # binds the input profiles of uploaded models
start worker $PY -m omotes.worker --workflows simulator
start worker-sequences $PY -m omotes.worker --workflows simulate_kpis,kpis
# The optimiser (mesido) in its own venv: it offers optimizer, optimizer_no_heat_losses and
# optimize_simulate, whose simulation step runs in the main venv (OMOTES_PEER_PYTHON).
if [ -x .venv-optimizer/bin/python ]; then
  OMOTES_PEER_PYTHON=$PWD/$PY start worker-optimizer .venv-optimizer/bin/python -m omotes.worker \
    --workflows optimizer,optimizer_no_heat_losses,optimize_simulate
fi
# Safety net for InfluxDB read grants (signals keep them in step; this heals a missed one).
start influx-grants bash -c "while :; do $PY manage.py sync_influx_grants --quiet; sleep 600; done"
start retention $PY manage.py apply_retention --loop  # the operator's retention policy (admin)

cat <<MSG

  Design Toolkit is running at http://127.0.0.1:$PORT/
  Log in as demo@example.com / demo-password-2026 (colleague@example.com, same password, sees the
  demo project through the team "Demo team")
  API docs: http://127.0.0.1:$PORT/api/docs/   health: http://127.0.0.1:$PORT/health/
  InfluxDB: ${OMOTES_INFLUX_URL:-http://127.0.0.1:8086} (authentication on; the product logs in as
  ${OMOTES_INFLUX_USERNAME:-designtoolkit}; read credentials for people: account page)

MSG
wait
