"""The open core is installable on its own (R17): a wheel built from ``omotes/`` alone, installed
into a fresh virtual environment, runs a worker that the frontend sees and gives jobs to.

How it stays fast and needs nothing but PyPI (for the build backend, setuptools, which pip fetches
into its isolated build environment, or takes from its cache):

- the wheel is built from a copy of ``omotes/`` outside the repository, so it cannot lean on any
  other file of the checkout;
- the fresh environment gets the wheel's dependencies from the environment running the tests
  (the Design Toolkit's, where ``requirements.txt`` installed them): a ``.pth`` file points at a
  folder of links to that site-packages, minus its own (editable) ``omotes-core``. The wheel is
  then installed with ``--no-index`` and *with* dependency resolution, so pip fails if the wheel
  declares a requirement that this environment does not satisfy;
- the worker starts from the environment's ``omotes-worker`` script with its working directory
  outside the repository, so the ``omotes`` it imports is the installed one (checked).

About 15 s on the 2-core development machine; marked ``slow``.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import dramatiq
import pytest

from apps.jobs.models import Job, JobEvent, Worker
from tests.conftest import ROOT, Stack, wait_for
from tests.corpus import generated_network
from tests.models.test_upload_api import upload

pytestmark = pytest.mark.slow

#: Entries of the test environment's site-packages that belong to its own omotes-core install.
OWN_INSTALL = ("omotes_core", "__editable__.omotes_core", "__editable___omotes_core")


def run(*args: str | Path, cwd: Path, timeout: float = 300) -> str:
    done = subprocess.run(
        [str(a) for a in args], cwd=cwd, capture_output=True, text=True, timeout=timeout
    )
    assert done.returncode == 0, f"{args} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """A fresh virtual environment with the omotes-core wheel installed; returns its folder."""
    work = tmp_path_factory.mktemp("wheel")
    source = work / "source" / "omotes"
    shutil.copytree(
        ROOT / "omotes",
        source,
        ignore=shutil.ignore_patterns("__pycache__", "build", "*.egg-info"),
    )
    run(sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", work / "dist", source, cwd=work)
    (wheel,) = (work / "dist").glob("omotes_core-*.whl")

    venv = work / "venv"
    run(sys.executable, "-m", "venv", "--without-pip", venv, cwd=work)
    dependencies = Path(dramatiq.__file__).resolve().parents[1]
    links = work / "dependencies"
    links.mkdir()
    for entry in dependencies.iterdir():
        if not entry.name.startswith(OWN_INSTALL):
            (links / entry.name).symlink_to(entry)
    (site_packages(venv) / "dependencies.pth").write_text(f"{links}\n")
    pip = (sys.executable, "-m", "pip", "--python", venv / "bin" / "python")
    run(*pip, "install", "--no-index", wheel, cwd=work)
    run(*pip, "check", cwd=work)
    assert list(site_packages(venv).glob("omotes_core-*.dist-info/licenses/LICENSE"))
    return venv


def site_packages(venv: Path) -> Path:
    (path,) = (venv / "lib").glob("python3.*/site-packages")
    return path


def test_installed_core_imports_from_the_environment_not_the_repository(installed: Path):
    where = run(
        installed / "bin" / "python",
        "-c",
        "import omotes.worker.runtime, omotes.workflows.registry as r;"
        "print(omotes.__file__); print(r.reference_for('simulator'))",
        cwd=installed,
    ).split()

    assert Path(where[0]).is_relative_to(site_packages(installed))
    assert where[1] == "omotes.workflows.simulator:workflow"


@pytest.fixture
def wheel_worker(installed: Path, stack: Stack, tmp_path: Path, transactional_db):
    """A sleeper worker of the installed wheel, started outside the repository."""
    worker_id = f"wheel-{uuid.uuid4().hex[:6]}"
    env = {k: v for k, v in stack.env.items() if k != "PYTHONPATH"}
    log = open(tmp_path / "worker.log", "wb")  # noqa: SIM115 - closed below
    process = subprocess.Popen(
        [installed / "bin" / "omotes-worker", "--workflows", "sleeper", "--worker-id", worker_id],
        cwd=tmp_path,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    yield worker_id, process
    if process.poll() is None:
        process.kill()
        process.wait(30)
    log.close()


def test_worker_from_the_wheel_announces_its_workflows_and_runs_a_job(
    wheel_worker, api, project
) -> None:
    worker_id, process = wheel_worker

    worker = wait_for(
        lambda: Worker.objects.alive().filter(pk=worker_id).first(), 60, "the wheel's worker"
    )
    assert [w["name"] for w in worker.workflows] == ["sleeper"]

    model = upload(api, project, "network", generated_network(profiles=False)).json()
    response = api.post(
        "/api/jobs/",
        {"model": model["id"], "workflow": "sleeper", "params": {"duration_s": 0.5}},
        format="json",
    )
    assert response.status_code == 201, response.content
    job = wait_for(
        lambda: Job.objects.filter(pk=response.json()["id"], status__in=Job.TERMINAL).first(),
        60,
        "the job to end",
    )
    assert job.status == "succeeded", job.error
    assert JobEvent.objects.get(job=job, kind="result").worker_id == worker_id

    process.send_signal(signal.SIGTERM)
    process.wait(30)
    wait_for(
        lambda: Worker.objects.filter(pk=worker_id, left_at__isnull=False).exists(),
        30,
        "the worker's leave",
    )


def test_core_never_imports_django_or_the_frontend() -> None:
    """What the wheel cannot check: an import inside a function that the worker never runs."""
    offenders = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "omotes").rglob("*.py")
        for line in path.read_text().splitlines()
        if line.lstrip().startswith(("import django", "from django", "import apps", "from apps"))
    ]

    assert offenders == []
