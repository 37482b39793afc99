# Two images. `app` (the default) runs every process of the Design Toolkit but the optimiser;
# the command chooses which one runs (compose.yaml starts each of them):
#   web:        python -m designtoolkit.webserver -b 0.0.0.0 -p 8000 designtoolkit.asgi:application
#   dispatcher: python manage.py run_dispatcher
#   events:     python manage.py run_events_consumer
#   profiles:   python manage.py run_profile_binder
#   notifier:   python manage.py run_notifier
#   worker:     python -m omotes.worker --workflows simulator
# `optimizer` (docker build --target optimizer) is `app` plus the optimiser's own venv in
# /opt/venv-optimizer (mesido pins numpy 1.25 / pandas 1.5 and needs Python < 3.12:
# requirements-optimizer.txt); its worker runs from that venv, and the simulation step of
# optimize_simulate in the app's Python (OMOTES_PEER_PYTHON), as scripts/run.sh does.
# Configuration comes from the environment (see designtoolkit/settings.py, .env.example and the
# README). Runtime requirements only: no test tools; runs as a non-root user.

# mesido's venv, built apart so a code change does not reinstall it (same base and path as
# `app`, so the venv's interpreter link holds when copied).
FROM python:3.11-slim-bookworm AS optimizer-venv
COPY requirements-optimizer.txt /tmp/
RUN python -m venv /opt/venv-optimizer \
    && /opt/venv-optimizer/bin/pip install --no-cache-dir -r /tmp/requirements-optimizer.txt

FROM python:3.11-slim-bookworm AS app

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 DT_DEBUG=0 DT_ENV=production
RUN useradd --create-home --uid 1000 designtoolkit
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY --chown=designtoolkit:designtoolkit . .
# The open core's metadata (its workflows' entry points); editable, so the code stays in /app/omotes.
RUN pip install --no-cache-dir -e ./omotes
# Static files at build time (the key and passwords here only let settings load; DT_ENV is not
# production for this one command).
RUN DT_ENV=build DT_SECRET_KEY=build-only-not-a-secret-build-only-not-a-secret \
    python manage.py collectstatic --noinput \
    && chown -R designtoolkit:designtoolkit /app/var
USER designtoolkit
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/accounts/login/', timeout=4)"]
CMD ["python", "-m", "designtoolkit.webserver", "-b", "0.0.0.0", "-p", "8000", \
     "designtoolkit.asgi:application"]

FROM app AS optimizer
USER root
COPY --from=optimizer-venv /opt/venv-optimizer /opt/venv-optimizer
# The open core from /app/omotes, as in `app` (its dependencies are in the venv already).
RUN /opt/venv-optimizer/bin/pip install --no-cache-dir --no-deps -e ./omotes
USER designtoolkit
ENV OMOTES_PEER_PYTHON=/usr/local/bin/python
HEALTHCHECK NONE
CMD ["/opt/venv-optimizer/bin/python", "-m", "omotes.worker", \
     "--workflows", "optimizer,optimizer_no_heat_losses,optimize_simulate"]

# The default target (a plain `docker build .`): the app image.
FROM app
