#!/usr/bin/env bash
# Set everything up and run the whole test suite against the real services.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
source scripts/local-env.sh
export PYTHONUNBUFFERED=1
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/python manage.py makemigrations --check --dry-run >/dev/null
.venv/bin/python manage.py collectstatic --noinput >/dev/null
.venv/bin/pytest "$@"
