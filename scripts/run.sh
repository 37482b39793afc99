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
# Mail: to a local mail catcher (a page lists what it got) unless DT_EMAIL_HOST names a server.
export DT_PUBLIC_URL=${DT_PUBLIC_URL:-http://127.0.0.1:$PORT}
MAIL_PAGE="the SMTP server ${DT_EMAIL_HOST:-} (DT_EMAIL_HOST)"
if [ -z "${DT_EMAIL_HOST:-}" ]; then
  export DT_EMAIL_HOST=127.0.0.1 DT_EMAIL_PORT=${DT_MAILCATCHER_SMTP_PORT:-1025}
  MAIL_PAGE="http://127.0.0.1:${DT_MAILCATCHER_HTTP_PORT:-8025}/"
  start mailcatcher $PY -m apps.notifications.mailcatcher --smtp-port "$DT_EMAIL_PORT" \
    --http-port "${DT_MAILCATCHER_HTTP_PORT:-8025}"
fi
# -- operations (issue 15): JSON log lines; a bounded database pool per process; web server
# processes as measured by bench/load.py (README "Operations"); Prometheus ports of each process
# (deploy/prometheus.yml).
export DT_DB_POOL_MAX=${DT_DB_POOL_MAX:-10}
WEB_PROCESSES=${DT_WEB_PROCESSES:-$(nproc)}
start web $PY -m designtoolkit.webprocesses --processes "$WEB_PROCESSES" -b 127.0.0.1 -p "$PORT" \
  designtoolkit.asgi:application
start dispatcher $PY manage.py run_dispatcher --metrics-port 9101
start events $PY manage.py run_events_consumer --metrics-port 9102
start profiles $PY manage.py run_profile_binder  # binds the input profiles of uploaded models
start worker $PY -m omotes.worker --workflows simulator --metrics-port 9111
start worker-sequences $PY -m omotes.worker --workflows simulate_kpis,kpis --metrics-port 9112
# The optimiser (mesido) in its own venv: it offers optimizer, optimizer_no_heat_losses and
# optimize_simulate, whose simulation step runs in the main venv (OMOTES_PEER_PYTHON).
if [ -x .venv-optimizer/bin/python ]; then
  OMOTES_PEER_PYTHON=$PWD/$PY start worker-optimizer .venv-optimizer/bin/python -m omotes.worker \
    --workflows optimizer,optimizer_no_heat_losses,optimize_simulate --metrics-port 9113
fi
# Safety net for InfluxDB read grants (signals keep them in step; this heals a missed one).
start influx-grants bash -c "while :; do $PY manage.py sync_influx_grants --quiet; sleep 600; done"
start retention $PY manage.py apply_retention --loop  # the operator's retention policy (admin)
start notifier $PY manage.py run_notifier  # job-end notices (batched) and the mail outbox
start key-figures $PY manage.py run_key_figure_sources  # dynamic key figures (admin), when due

cat <<MSG

  Design Toolkit is running at http://127.0.0.1:$PORT/
  Log in as demo@example.com / demo-password-2026 (colleague@example.com, same password, sees the
  demo project through the team "Demo team")
  API docs: http://127.0.0.1:$PORT/api/docs/   health: http://127.0.0.1:$PORT/health/
  metrics: http://127.0.0.1:$PORT/metrics (and ports 9101, 9102, 9111, 9112); logs: var/log/
  InfluxDB: ${OMOTES_INFLUX_URL:-http://127.0.0.1:8086} (authentication on; the product logs in as
  ${OMOTES_INFLUX_USERNAME:-designtoolkit}; read credentials for people: account page)
  Mails the toolkit sends (job ends, support tickets, confirmations): $MAIL_PAGE

MSG
wait
