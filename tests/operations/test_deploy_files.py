"""The container files, checked statically: no Docker daemon runs on the development machines, so
compose.yaml and the Dockerfile were never started here (R14). What can be read is checked:
services, health checks, volumes, secrets only from .env, a runtime-only non-root image."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import yaml

from omotes.workflows.optimizer_check import OPTIMIZER_WORKFLOWS
from tests.conftest import ROOT

PRODUCT = {"web", "dispatcher", "events", "worker-1", "worker-2", "profiles", "influx-grants"}
PRODUCT |= {"worker-optimizer"}
DATA = {"postgres": "postgres-data", "rabbitmq": "rabbitmq-data", "redis": "redis-data"}


def compose() -> dict:
    return yaml.safe_load((ROOT / "compose.yaml").read_text())


def test_compose_starts_the_whole_product_with_health_checks_and_volumes():
    services = compose()["services"]
    assert set(services) >= PRODUCT | set(DATA) | {"influxdb", "migrate", "retention"}
    for name, service in services.items():
        if name != "migrate":
            assert service.get("healthcheck", {}).get("test"), f"{name} has no health check"
    for name, volume in {**DATA, "influxdb": "influxdb-data"}.items():
        assert any(v.startswith(f"{volume}:") for v in services[name]["volumes"]), name
    assert set(compose()["volumes"]) >= {*DATA.values(), "influxdb-data"}
    assert re.fullmatch(r"influxdb:1\.\d+", services["influxdb"]["image"])
    assert services["influxdb"]["environment"]["INFLUXDB_HTTP_AUTH_ENABLED"] == "true"
    # Migrations once, before any process of the product.
    assert services["migrate"]["restart"] == "no"
    assert "migrate" in " ".join(services["migrate"]["command"])
    for name in PRODUCT | {"retention"}:
        assert services[name]["depends_on"]["migrate"] == {
            "condition": "service_completed_successfully"
        }, name
        assert services[name]["environment"]["DT_ENV"] == "production", name
    worker_commands = [" ".join(services[w]["command"]) for w in ("worker-1", "worker-2")]
    assert all("omotes.worker" in c for c in worker_commands)


def _stages(dockerfile: str) -> dict[str, str]:
    """Stage name -> what it is built FROM; the unnamed last stage is ``""``."""
    stages = {}
    for base, name in re.findall(r"^FROM (\S+)(?: AS (\S+))?$", dockerfile, re.M):
        stages[name] = base
    return stages


def test_the_optimiser_worker_runs_from_its_own_venv_in_an_image_of_its_own():
    services = compose()["services"]
    worker = services["worker-optimizer"]
    assert worker["build"] == {"context": ".", "target": "optimizer"}
    assert worker["image"] != services["web"]["image"]
    command = worker["command"]
    assert command[:3] == ["/opt/venv-optimizer/bin/python", "-m", "omotes.worker"]
    assert set(command[command.index("--workflows") + 1].split(",")) == OPTIMIZER_WORKFLOWS
    # optimize_simulate's simulation step runs in the app's own Python, in the same image.
    assert worker["environment"]["OMOTES_PEER_PYTHON"] == "/usr/local/bin/python"
    # Every other process is built from the app image, which has no mesido in it.
    for name, service in services.items():
        if "build" in service and name != "worker-optimizer":
            assert service["build"]["target"] == "app", name

    dockerfile = (ROOT / "Dockerfile").read_text()
    stages = _stages(dockerfile)
    assert stages["optimizer"] == "app"
    # mesido needs Python < 3.12: the venv is made by the same 3.11 as the app it is copied to.
    assert re.fullmatch(r"python:3\.11-\S+", stages["optimizer-venv"])
    assert stages["optimizer-venv"] == stages["app"]
    assert stages[""] == "app"  # a plain `docker build .` gives the app image
    venv_stage = dockerfile.split("AS optimizer-venv", 1)[1].split("\nFROM ", 1)[0]
    assert "python -m venv /opt/venv-optimizer" in venv_stage
    assert "-r /tmp/requirements-optimizer.txt" in venv_stage
    optimizer_stage = dockerfile.split("FROM app AS optimizer\n", 1)[1].split("\nFROM ", 1)[0]
    assert "COPY --from=optimizer-venv /opt/venv-optimizer /opt/venv-optimizer" in optimizer_stage
    assert re.findall(r"^USER (\S+)", optimizer_stage, re.M)[-1] == "designtoolkit"
    # Its requirements pin every package, mesido and its numpy/pandas among them.
    pins = [
        line
        for line in (ROOT / "requirements-optimizer.txt").read_text().splitlines()
        if line and not line.startswith("#")
    ]
    assert all(re.fullmatch(r"[A-Za-z0-9_.-]+==\S+", line) for line in pins), pins
    assert {"mesido", "numpy", "pandas"} <= {line.split("==")[0] for line in pins}
    assert ".venv-optimizer/" in (ROOT / ".dockerignore").read_text().splitlines()


def test_every_secret_comes_from_the_env_file_and_the_example_names_them_all():
    text = (ROOT / "compose.yaml").read_text()
    needed = set(re.findall(r"\$\{(\w+):\?", text))
    assert needed >= {"DT_SECRET_KEY", "POSTGRES_PASSWORD", "RABBITMQ_PASSWORD", "REDIS_PASSWORD"}
    example = dict(
        line.split("=", 1)
        for line in (ROOT / ".env.example").read_text().splitlines()
        if line and not line.startswith("#")
    )
    assert needed <= set(example), needed - set(example)
    for name in needed:
        assert example[name].startswith("change-me"), f"{name} in .env.example must be replaced"
    # No literal password anywhere in the services' settings.
    for name, service in compose()["services"].items():
        for key, value in (service.get("environment") or {}).items():
            if re.search(r"PASSWORD|SECRET|TOKEN", key):
                assert "${" in str(value), f"{name}: {key} is not from .env"
    assert ".env" in (ROOT / ".gitignore").read_text().splitlines()


def test_image_has_no_test_tools_and_runs_as_a_user():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "requirements.txt" in dockerfile and "requirements-dev" not in dockerfile
    users = re.findall(r"^USER (\S+)", dockerfile, re.M)
    assert users and users[-1] not in ("root", "0")
    runtime = (ROOT / "requirements.txt").read_text().lower()
    for tool in ("pytest", "playwright", "schemathesis", "ruff", "locust"):
        assert not re.search(rf"^{tool}\b", runtime, re.M), f"{tool} is a runtime requirement"
        assert re.search(rf"^{tool}\b", (ROOT / "requirements-dev.txt").read_text(), re.M)
    ignored = (ROOT / ".dockerignore").read_text().splitlines()
    assert {"tests/", ".env", ".venv/", "requirements-dev.txt"} <= set(ignored)


def production_check(**env: str) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("DT_", "PYTEST"))}
    environ.update(DT_ENV="production", **env)
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_refuses_default_passwords_and_starts_with_real_ones():
    refused = production_check(DT_SECRET_KEY="change-me-to-at-least-40-random-characters-for-x")
    assert refused.returncode != 0
    for named in ("DT_SECRET_KEY", "DT_DB_PASSWORD", "OMOTES_INFLUX_PASSWORD", "OMOTES_BROKER_URL"):
        assert named in refused.stderr, refused.stderr[-2000:]
    fit = production_check(
        DT_SECRET_KEY="k" * 20 + "7Hq2-real-looking-secret-value",
        DT_DB_PASSWORD="db-9a8s7d6f",
        OMOTES_INFLUX_PASSWORD="influx-1q2w3e4r",
        OMOTES_BROKER_URL="amqp://dt:mq-5t6y7u8i@127.0.0.1:5672/%2F",
        DT_REDIS_URL="redis://:rd-0o9i8u7y@127.0.0.1:6379/0",
    )
    assert "Refusing to start" not in fit.stderr, fit.stderr[-2000:]
