# One image for every process of the Design Toolkit; the command chooses which one runs:
#   web:        python -m designtoolkit.webserver -b 0.0.0.0 -p 8000 designtoolkit.asgi:application
#   dispatcher: python manage.py run_dispatcher
#   events:     python manage.py run_events_consumer
#   profiles:   python manage.py run_profile_binder
#   notifier:   python manage.py run_notifier
#   worker:     python -m omotes.worker --workflows simulator
# Configuration comes from the environment (see designtoolkit/settings.py and the README).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 DT_DEBUG=0
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
# The open core's metadata (its workflows' entry points); editable, so the code stays in /app/omotes.
RUN pip install --no-cache-dir -e ./omotes
RUN DT_SECRET_KEY=build-only-not-a-secret-build-only-not-a-secret \
    python manage.py collectstatic --noinput
RUN useradd --create-home --uid 1000 designtoolkit
USER designtoolkit
EXPOSE 8000
CMD ["python", "-m", "designtoolkit.webserver", "-b", "0.0.0.0", "-p", "8000", \
     "designtoolkit.asgi:application"]
