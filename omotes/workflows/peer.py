"""A workflow run in another venv: how a sequence chains models whose libraries clash.

The optimiser (mesido: numpy 1.25) and the simulator (numpy 2.1) cannot share a process, so the
sequence ``optimize_simulate`` runs in the optimiser's worker and hands each step it cannot
import here to a *peer*: the Python of another venv with the same core (``OMOTES_PEER_PYTHON``,
set by ``scripts/run.sh``), started as ``python -m omotes.workflows.peer run NAME``. The job stays
one job on one worker: one child process, one time limit, one cancel (the peer is in the child's
process group and is killed with it), and every step writes to the same job database.

Protocol: the request (ESDL, parameters, job id, InfluxDB settings) is one JSON object on the
peer's stdin; the peer answers on its original stdout with JSON lines ``{"progress": f,
"message": m}`` and one last ``{"result": {...}}`` or ``{"error": reason, "messages": [...]}``.
Anything the model prints goes to stderr (the worker's log).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import subprocess
import sys
import threading
import uuid
from pathlib import Path
from typing import Any

import omotes
from omotes.influx import InfluxSettings
from omotes.protocol import (
    AssetMessage,
    Kpi,
    SeriesDescription,
    WorkflowDescription,
    WorkflowError,
)
from omotes.workflows import registry
from omotes.workflows.base import JobContext, WorkflowResult, describe

PEER_PYTHON_ENV = "OMOTES_PEER_PYTHON"
#: How long describing a peer's workflow may take (importing a model library).
DESCRIBE_TIMEOUT_S = 120


def peer_python() -> str | None:
    return os.environ.get(PEER_PYTHON_ENV) or None


class PeerWorkflow:
    """A workflow of the peer venv, described by the peer, run by it step by step."""

    def __init__(self, name: str, python: str) -> None:
        self.python = python
        done = subprocess.run(
            [python, "-m", "omotes.workflows.peer", "describe", name],
            capture_output=True,
            text=True,
            timeout=DESCRIBE_TIMEOUT_S,
            env=_peer_environment(),
        )
        if done.returncode != 0:
            raise registry.UnknownWorkflow(
                f"workflow {name!r} is not available here nor in the peer venv {python}: "
                f"{done.stderr.strip()[-500:]}"
            )
        description = WorkflowDescription.from_dict(json.loads(done.stdout))
        self.name = description.name
        self.version = description.version
        self.title = description.title
        self.description = description.description
        self.parameters = description.parameters
        self.default_time_limit_s = description.default_time_limit_s
        self.supported_asset_types = description.supported_asset_types

    def run(self, esdl: str, params: dict[str, Any], context: JobContext) -> WorkflowResult:
        request = {
            "esdl": esdl,
            "params": params,
            "job_id": str(context.job_id),
            "influx": dataclasses.asdict(context.influx),
        }
        process = subprocess.Popen(
            [self.python, "-m", "omotes.workflows.peer", "run", self.name],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=context.workdir,
            env=_peer_environment(),
        )
        assert process.stdin is not None and process.stdout is not None
        writer = threading.Thread(target=_send, args=(process.stdin, request), daemon=True)
        writer.start()
        answer: dict[str, Any] | None = None
        for line in process.stdout:
            message = json.loads(line)
            if "progress" in message:
                context.progress(float(message["progress"]), str(message.get("message", "")))
            else:
                answer = message
        process.wait()
        if answer is None:
            raise WorkflowError(
                f"The step {self.title} ended without an answer (exit code {process.returncode})."
            )
        if "error" in answer:
            messages = [AssetMessage.from_dict(m) for m in answer.get("messages", [])]
            raise WorkflowError(str(answer["error"]), messages)
        result = answer["result"]
        return WorkflowResult(
            output_esdl=result["output_esdl"],
            series=[SeriesDescription.from_dict(s) for s in result["series"]],
            messages=[AssetMessage.from_dict(m) for m in result["messages"]],
            kpis=[Kpi.from_dict(k) for k in result["kpis"]],
        )


def _peer_environment() -> dict[str, str]:
    """The environment of a peer: ours, and when this core runs from a source checkout (not
    from a venv's site-packages), that checkout first on the peer's path, so both sides of a
    sequence run the same core code."""
    env = dict(os.environ)
    root = Path(omotes.__file__).resolve().parents[1]
    if "site-packages" not in root.parts:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(root), env.get("PYTHONPATH")]))
    return env


def _send(stream: Any, request: dict[str, Any]) -> None:
    with stream:
        json.dump(request, stream)


def _serve(name: str, out: Any) -> None:
    """Run one request from stdin with workflow ``name`` and answer on ``out``."""
    request = json.load(sys.stdin)

    def answer(message: dict[str, Any]) -> None:
        out.write(json.dumps(message) + "\n")
        out.flush()

    workflow = registry.load(name)
    workdir = Path.cwd()
    context = JobContext(
        uuid.UUID(request["job_id"]),
        InfluxSettings(**request["influx"]),
        workdir,
        lambda fraction, message, *_: answer({"progress": fraction, "message": str(message)}),
    )
    try:
        result = workflow.run(request["esdl"], request["params"], context)
    except WorkflowError as exc:
        answer({"error": str(exc), "messages": [m.to_dict() for m in exc.messages]})
        return
    except Exception as exc:  # noqa: BLE001 - any failure of a model must reach the user
        logging.getLogger(__name__).exception("step %s failed", name)
        answer({"error": f"{type(exc).__name__}: {exc}"})
        return
    answer(
        {
            "result": {
                "output_esdl": result.output_esdl,
                "series": [s.to_dict() for s in result.series],
                "messages": [m.to_dict() for m in result.messages],
                "kpis": [k.to_dict() for k in result.kpis],
            }
        }
    )


def main(argv: list[str]) -> int:
    command, name = argv
    logging.basicConfig(level=os.environ.get("OMOTES_LOG_LEVEL", "INFO"))
    # The protocol keeps the original stdout; whatever the model prints goes to stderr.
    out = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    if command == "describe":
        out.write(json.dumps(describe(registry.load(name)).to_dict()))
    else:
        _serve(name, out)
    out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
