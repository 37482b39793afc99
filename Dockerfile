# One image for every process of the Design Toolkit; the command chooses which one runs
# (compose.yaml starts each of them):
#   web:        python -m designtoolkit.webserver -b 0.0.0.0 -p 8000 designtoolkit.asgi:application
#   dispatcher: python manage.py run_dispatcher
#   events:     python manage.py run_events_consumer
#   profiles:   python manage.py run_profile_binder
#   notifier:   python manage.py run_notifier
#   worker:     python -m omotes.worker --workflows simulator
# Configuration comes from the environment (see designtoolkit/settings.py, .env.example and the
# README). Runtime requirements only (requirements.txt): no test tools; runs as a non-root user.
FROM python:3.11-slim-bookworm

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
