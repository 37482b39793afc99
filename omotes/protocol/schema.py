"""What a workflow declares: name, version and parameter schema, as workers announce it."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from omotes.protocol.fields import (
    Fields,
    ProtocolError,
    check,
    check_items,
    check_text,
    is_int,
    is_number,
    parse_datetime,
    set_field,
    short,
)

#: Workflow names become queue and actor names on RabbitMQ (``<ns>.workflow.<name>``).
WORKFLOW_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,99}")
#: Parameter keys are keys of a job's ``params`` and names of form fields.
PARAMETER_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,99}")
#: What a workflow's ``runtime_prior`` may say.
RUNTIME_PRIOR_KEYS = ("overhead_s", "per_asset_s", "per_asset_step_s", "per_asset_squared_s")


class ParameterType(enum.StrEnum):
    STRING = "string"  # text; with ``options``, one of them
    BOOL = "bool"
    INT = "int"
    FLOAT = "float"
    DATETIME = "datetime"  # ISO 8601 text with a time zone on the wire
    DURATION = "duration"  # seconds, as a number


NUMERIC_TYPES = frozenset({ParameterType.INT, ParameterType.FLOAT, ParameterType.DURATION})

#: How a frontend can derive a parameter's value from the job's model (``ParameterSpec.derive``),
#: so that a user sees what the model implies before submitting, and the job stores the value
#: it really used. A frontend that does not know a name falls back to ``default``, so a worker
#: may announce a newer name without breaking an older frontend.
DERIVATIONS: dict[str, str] = {
    "profile_start": "the first time of the model's input profiles",
    "profile_end": "the last time of the model's input profiles",
    "profile_timestep": "the time between two points of the model's input profiles (the finest)",
    "supply_temperature": "the supply temperature of the model's heat carriers (the highest)",
    "return_temperature": "the return temperature of the model's heat carriers (the lowest)",
}


@dataclass(frozen=True)
class ParameterSpec:
    """One parameter a workflow accepts; the frontend renders a form field from it.

    ``minimum`` and ``maximum`` apply to int, float and duration, ``options`` to string. A
    ``default`` of None means the workflow decides (e.g. derives the value from the ESDL). A
    datetime default is kept as ISO 8601 text, the form it travels in and the frontend fills into
    a job's parameters. ``derive`` names how the value follows from the model (a key of
    :data:`DERIVATIONS`; empty: it does not); ``default`` is the fallback when it cannot.
    """

    key: str
    type: ParameterType
    title: str
    description: str = ""
    default: Any = None
    minimum: float | None = None
    maximum: float | None = None
    options: tuple[str, ...] = ()
    derive: str = ""

    def __post_init__(self) -> None:
        check(
            isinstance(self.key, str) and PARAMETER_KEY.fullmatch(self.key) is not None,
            "parameter",
            f"key {short(self.key)} must be letters, digits and '_', not starting with a digit",
        )
        what = f"parameter {self.key!r}"
        check(isinstance(self.type, ParameterType), what, f"unknown type {short(self.type)}")
        check_text(self.title, what, "title")
        check_text(self.description, what, "description")
        set_field(self, "options", tuple(self.options))
        check_items(self.options, str, what, "options")
        check(
            self.derive == ""
            or (isinstance(self.derive, str) and PARAMETER_KEY.fullmatch(self.derive)),
            what,
            f"derive {short(self.derive)} must be a name such as 'profile_start'",
        )
        check(
            not self.options or self.type == ParameterType.STRING,
            what,
            "only a string parameter has options",
        )
        for bound in ("minimum", "maximum"):
            value = getattr(self, bound)
            if value is not None:
                check(self.type in NUMERIC_TYPES, what, f"a {self.type} parameter has no {bound}")
                check(is_number(value), what, f"{bound} must be a number, not {short(value)}")
        if self.minimum is not None and self.maximum is not None:
            check(self.minimum <= self.maximum, what, "minimum is above maximum")
        if self.type == ParameterType.DATETIME and isinstance(self.default, datetime):
            set_field(self, "default", self.default.isoformat())
        if self.default is not None:
            self._check_default(what)

    def _check_default(self, what: str) -> None:
        default = self.default
        if self.type in NUMERIC_TYPES:
            valid = is_int(default) if self.type == ParameterType.INT else is_number(default)
            check(valid, what, f"default {short(default)} is not a valid {self.type}")
            check(
                (self.minimum is None or default >= self.minimum)
                and (self.maximum is None or default <= self.maximum),
                what,
                f"default {default} is outside {self.minimum} .. {self.maximum}",
            )
        elif self.type == ParameterType.BOOL:
            check(isinstance(default, bool), what, f"default {short(default)} is not a bool")
        elif self.type == ParameterType.DATETIME:
            parsed = parse_datetime(default)
            check(
                parsed is not None and parsed.tzinfo is not None,
                what,
                f"default {short(default)} is not an ISO 8601 datetime with a time zone",
            )
        else:
            check(isinstance(default, str), what, f"default {short(default)} is not text")
            check(
                not self.options or default in self.options,
                what,
                f"default {default!r} is not one of the options",
            )

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "type": self.type.value,
            "title": self.title,
            "description": self.description,
            "default": self.default,
            "minimum": self.minimum,
            "maximum": self.maximum,
            "options": list(self.options),
            "derive": self.derive,
        }

    @classmethod
    def from_dict(cls, data: Any) -> ParameterSpec:
        fields = Fields(data, "parameter")
        key = fields.text("key")
        fields.what = f"parameter {key!r}"
        type_name = fields.text("type")
        try:
            parameter_type = ParameterType(type_name)
        except ValueError:
            known = ", ".join(t.value for t in ParameterType)
            raise ProtocolError(
                f"{fields.what}: unknown type {type_name!r} (known: {known})"
            ) from None
        return cls(
            key=key,
            type=parameter_type,
            title=fields.text("title", key),
            description=fields.text("description", ""),
            default=fields.raw("default", None),
            minimum=fields.number("minimum", None),
            maximum=fields.number("maximum", None),
            options=tuple(fields.items("options")),
            derive=fields.text("derive", ""),
        )


@dataclass(frozen=True)
class WorkflowDescription:
    """What a worker announces about one workflow it can run.

    ``supported_asset_types`` names the ESDL asset classes (``HeatingDemand``, ``Pipe`` ...) the
    workflow can take; empty means any. The frontend refuses a model with other assets before a
    job of the workflow is queued (:mod:`omotes.preflight`).
    ``runtime_prior`` is the workflow's own guess of its run time before the frontend has a
    history to learn from: ``{"overhead_s": fixed seconds, "per_asset_s": seconds per asset,
    "per_asset_step_s": seconds per asset and time step, "per_asset_squared_s": seconds per
    asset squared}`` (any may be left out), measured by the workflow's authors on the reference
    machine (:mod:`omotes.estimation`; the frontend scales it by each worker's calibration run);
    empty when it has none.
    ``runtime_family`` names the workflows whose run times share their terms: those that run
    the same model (``simulate_kpis`` runs the simulator, then a KPI step, and says
    ``"simulator"``). The frontend learns the shared terms from the runs of the whole family,
    and each workflow's own level on top (:func:`omotes.estimation.pooled`). Empty: a family of
    its own (:attr:`family` is then its name).
    ``steps`` names the workflows a sequence runs, in order (empty for a single workflow): the
    frontend checks a model against the first step's own needs (the step that reads the model)
    as well as against the sequence's asset types.
    """

    name: str
    version: str
    title: str
    description: str
    parameters: tuple[ParameterSpec, ...]
    default_time_limit_s: int
    supported_asset_types: tuple[str, ...] = ()
    runtime_prior: dict[str, float] = field(default_factory=dict)
    runtime_family: str = ""
    steps: tuple[str, ...] = ()

    @property
    def family(self) -> str:
        return self.runtime_family or self.name

    def __post_init__(self) -> None:
        check(
            isinstance(self.name, str) and WORKFLOW_NAME.fullmatch(self.name) is not None,
            "workflow",
            f"name {short(self.name)} must be letters, digits, '_' and '-' (it names a queue)",
        )
        what = f"workflow {self.name!r}"
        check_text(self.version, what, "version", allow_empty=False)
        check_text(self.title, what, "title")
        check_text(self.description, what, "description")
        set_field(self, "parameters", tuple(self.parameters))
        check_items(self.parameters, ParameterSpec, what, "parameters")
        keys = [spec.key for spec in self.parameters]
        check(len(keys) == len(set(keys)), what, "two parameters have the same key")
        check(
            is_int(self.default_time_limit_s) and self.default_time_limit_s > 0,
            what,
            "default_time_limit_s must be a positive whole number of seconds",
        )
        set_field(self, "supported_asset_types", tuple(self.supported_asset_types))
        check_items(self.supported_asset_types, str, what, "supported_asset_types")
        check(
            self.runtime_family == ""
            or (
                isinstance(self.runtime_family, str)
                and WORKFLOW_NAME.fullmatch(self.runtime_family) is not None
            ),
            what,
            f"runtime_family {short(self.runtime_family)} must be empty or a workflow name",
        )
        set_field(self, "steps", tuple(self.steps))
        check_items(self.steps, str, what, "steps")
        check(
            all(WORKFLOW_NAME.fullmatch(step) for step in self.steps),
            what,
            "steps must be workflow names",
        )
        set_field(self, "runtime_prior", dict(self.runtime_prior))
        for key, value in self.runtime_prior.items():
            check(
                key in RUNTIME_PRIOR_KEYS and is_number(value) and value >= 0,
                what,
                f"runtime_prior {key!r}: {short(value)} (keys {', '.join(RUNTIME_PRIOR_KEYS)}, "
                "numbers >= 0)",
            )

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "title": self.title,
            "description": self.description,
            "parameters": [p.to_dict() for p in self.parameters],
            "default_time_limit_s": self.default_time_limit_s,
            "supported_asset_types": list(self.supported_asset_types),
            "runtime_prior": dict(self.runtime_prior),
            "runtime_family": self.runtime_family,
            "steps": list(self.steps),
        }

    @classmethod
    def from_dict(cls, data: Any) -> WorkflowDescription:
        fields = Fields(data, "workflow")
        name = fields.text("name")
        fields.what = f"workflow {name!r}"
        return cls(
            name=name,
            version=fields.text("version"),
            title=fields.text("title", name),
            description=fields.text("description", ""),
            parameters=tuple(ParameterSpec.from_dict(p) for p in fields.items("parameters")),
            default_time_limit_s=fields.integer("default_time_limit_s", 3600),
            supported_asset_types=tuple(fields.items("supported_asset_types")),
            runtime_prior=dict(fields.mapping("runtime_prior", {})),
            runtime_family=fields.text("runtime_family", ""),
            steps=tuple(fields.items("steps")),
        )
