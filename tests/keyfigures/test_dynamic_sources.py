"""Dynamic key figures against a real HTTP server on loopback that answers well, slowly, wrongly
and not at all: the last good value is kept with its age, nonsense is refused, a stale source
falls back to the static figure and is reported by the health check."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.management import call_command
from django.utils import timezone
from health_check.exceptions import ServiceWarning

from apps.keyfigures.costing import current_figures
from apps.keyfigures.dynamic import refresh, stale_sources, values_in_force
from apps.keyfigures.health import KeyFigureSources
from apps.keyfigures.models import DynamicSource
from apps.keyfigures.services import default_version
from tests.conftest import free_port

pytestmark = pytest.mark.django_db

SECRET = "test-token-123"  # noqa: S105 - a test value, not a secret
ANSWERS = {
    "/good": (200, "application/json", '{"data": [{"price": 42.5}]}'),
    "/csv": (200, "text/csv", "time,price\n2026-01-01T00:00,40\n2026-01-01T01:00,41.5\n"),
    "/html": (200, "text/html", "<html>maintenance</html>"),
    "/missing": (200, "application/json", '{"data": []}'),
    "/negative": (200, "application/json", '{"data": [{"price": -7}]}'),
    "/text": (200, "application/json", '{"data": [{"price": "soon"}]}'),
    "/error": (503, "text/plain", "busy"),
}


class Handler(BaseHTTPRequestHandler):
    calls: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 - the http.server name
        Handler.calls.append(self.path)
        if self.path == "/slow":
            time.sleep(2)
            status, kind, body = ANSWERS["/good"]
        elif self.path == "/auth":
            ok = self.headers.get("X-Api-Key") == SECRET
            status, kind, body = ANSWERS["/good"] if ok else (401, "text/plain", "no")
        else:
            status, kind, body = ANSWERS.get(self.path, (404, "text/plain", "none"))
        data = body.encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except BrokenPipeError:  # the client gave up waiting (the slow answer)
            pass

    def log_message(self, *args) -> None:
        pass


@pytest.fixture(scope="module")
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def source(url: str, **kwargs) -> DynamicSource:
    fields = {
        "name": kwargs.pop("name", url.rsplit("/", 1)[-1] or "src"),
        "url": url,
        "selector": "data.0.price",
        "key": "energy_price.electricity",
        "unit": "EUR/MWh",
        "timeout_s": 0.5,
        **kwargs,
    }
    made = DynamicSource(**fields)
    made.full_clean()
    made.save()
    return made


def no_wait(_: float) -> None:
    pass


def test_a_good_answer_becomes_the_value_in_force_and_jobs_use_it(server):
    src = source(f"{server}/good")
    assert refresh(src, no_wait)
    src.refresh_from_db()
    assert (src.last_value, src.last_error, src.failures) == (42.5, "", 0)
    assert values_in_force()[0]["value"] == 42.5
    figures, used = current_figures(default_version())
    assert figures["energy_price.electricity"] == 42.5
    assert used[0]["source"] == "good" and used[0]["fetched_at"]
    assert stale_sources() == []
    KeyFigureSources().run()  # healthy: no exception


def test_csv_answer_reads_the_columns_last_row(server):
    src = source(f"{server}/csv", format="csv", selector="price")
    assert refresh(src, no_wait)
    src.refresh_from_db()
    assert src.last_value == 41.5


def test_auth_header_comes_from_the_named_environment_variable(server, monkeypatch):
    src = source(f"{server}/auth", auth_header="X-Api-Key", auth_env="DT_TEST_SOURCE_KEY")
    assert not refresh(src, no_wait)  # the variable is not set
    src.refresh_from_db()
    assert "DT_TEST_SOURCE_KEY is not set" in src.last_error
    monkeypatch.setenv("DT_TEST_SOURCE_KEY", SECRET)
    assert refresh(src, no_wait)


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("/html", "answer is not JSON"),
        ("/missing", "no 'data.0.price' in the answer"),
        ("/negative", "negative value -7"),
        ("/text", "not a number: 'soon'"),
        ("/error", "HTTP 503 (after 3 attempts)"),
        ("/slow", "no answer within 0.5 s (after 3 attempts)"),
    ],
)
def test_nonsense_slow_or_failing_answers_keep_the_last_good_value(server, path, reason):
    src = source(f"{server}/good", name="flaky")
    assert refresh(src, no_wait)
    DynamicSource.objects.filter(pk=src.pk).update(url=f"{server}{path}")
    src.refresh_from_db()
    started = time.monotonic()
    assert not refresh(src, no_wait)
    assert time.monotonic() - started < 5  # bounded by the timeout, never hangs
    src.refresh_from_db()
    assert reason in src.last_error
    assert (src.last_value, src.failures) == (42.5, 1)  # the last good value stays
    assert values_in_force()[0]["value"] == 42.5  # still fresh


def test_retries_back_off_and_stop_after_three_attempts(server):
    src = source(f"{server}/error")
    waits: list[float] = []
    Handler.calls.clear()
    assert not refresh(src, waits.append)
    assert waits == [1.0, 2.0]
    assert Handler.calls == ["/error"] * 3


def test_a_source_that_is_down_goes_stale_and_falls_back_to_the_static_figure(server):
    closed = f"http://127.0.0.1:{free_port()}/price"
    src = source(closed, max_age_s=3600)
    assert not refresh(src, no_wait)
    src.refresh_from_db()
    assert "unreachable" in src.last_error
    static = default_version().as_dict()["energy_price.electricity"]
    assert current_figures(default_version())[0]["energy_price.electricity"] == static
    # A good value from long ago is stale too.
    DynamicSource.objects.filter(pk=src.pk).update(
        last_value=99.0, last_good_at=timezone.now() - timedelta(hours=2)
    )
    assert values_in_force() == []
    with pytest.raises(ServiceWarning, match="Stale key-figure sources.*price.*unreachable"):
        KeyFigureSources().run()


def test_the_periodic_command_fetches_due_sources_only(server, capsys):
    src = source(f"{server}/good", refresh_s=3600)
    call_command("run_key_figure_sources", "--once")
    assert "good: ok" in capsys.readouterr().out
    call_command("run_key_figure_sources", "--once")  # not due again for an hour
    assert capsys.readouterr().out == ""
    src.refresh_from_db()
    assert src.last_value == 42.5


def test_a_source_must_feed_a_known_key_in_its_unit(server):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="takes EUR/MWh"):
        source(f"{server}/good", unit="EUR/kW")
    with pytest.raises(ValidationError, match="Unknown key figure"):
        source(f"{server}/good", key="energy_price.unobtainium")
