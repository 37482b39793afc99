"""The simulator's log output, folded into a few counted messages per run.

The simulator logs one warning per capped time step and many "Property ... is not set"
warnings; during a run they go to a :class:`LogAggregator` instead of the job log
(:func:`collect_simulator_logs`), and come back as :class:`~omotes.protocol.AssetMessage`
entries with counts.
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass

from omotes.protocol import AssetMessage

#: The simulator's own logger hierarchy; its warnings are aggregated during a run.
SIMULATOR_LOGGER = "omotes_simulator_core"

_TIME_IN_TEXT = re.compile(
    r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?"
)
_PROPERTY_NOT_SET = re.compile(
    r"Property (?P<property>\S+) is not set for: (?P<asset>.*?)\.\s*"
    r"Returning default value: (?P<default>.*?)\.?$"
)
#: Clearer text for known per-time-step messages (after times are replaced by "<time>").
_REWORDED = {
    "Total supply + storage is lower than total demand at time: <time>Consumers are capped to "
    "the available power.": "Total supply + storage was lower than total demand; consumers were "
    "capped to the available power",
}
_SEVERITY = {
    logging.DEBUG: "debug",
    logging.INFO: "info",
    logging.WARNING: "warning",
    logging.ERROR: "error",
}


@dataclass
class _Group:
    severity: str
    template: str
    object_id: str | None
    count: int = 0
    first_time: str | None = None
    last_time: str | None = None


class LogAggregator(logging.Handler):
    """Collects log records and folds repeats into one counted message each.

    Records are grouped by severity, ESDL object id and text with timestamps taken out, so the
    warning "supply capped at time T" logged once per time step becomes one message with a
    count and the first and last time.
    """

    def __init__(self, level: int = logging.WARNING) -> None:
        super().__init__(level)
        self._groups: dict[tuple[str, str | None, str], _Group] = {}
        self._defaults: dict[tuple[str | None, str], dict[str, str]] = {}
        self.records = 0

    def handle(self, record: logging.LogRecord) -> bool:
        self.records += 1
        return super().handle(record)

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = record.getMessage()
        except Exception:  # a broken log call in the simulator must not break the run
            text = str(record.msg)
        object_id = getattr(record, "esdl_object_id", None)
        unset = _PROPERTY_NOT_SET.match(text)
        if unset is not None and record.levelno == logging.WARNING:
            # One message per asset listing all defaults, instead of one per property.
            defaults = self._defaults.setdefault((object_id, unset["asset"]), {})
            defaults.setdefault(unset["property"], unset["default"])
            return
        times = _TIME_IN_TEXT.findall(text)
        template = " ".join(_TIME_IN_TEXT.sub("<time>", text).split())
        severity = _SEVERITY.get(record.levelno, "error" if record.levelno > 40 else "info")
        key = (severity, object_id, template)
        group = self._groups.get(key)
        if group is None:
            group = self._groups[key] = _Group(severity, template, object_id)
        group.count += 1
        if times:
            group.first_time = group.first_time or times[0]
            group.last_time = times[0]

    def messages(self) -> list[AssetMessage]:
        """The aggregated messages: one per distinct text and ESDL object, with its count."""
        out = []
        for (object_id, asset_name), defaults in self._defaults.items():
            listed = ", ".join(f"{name} = {value}" for name, value in defaults.items())
            text = f"{asset_name}: not set in the ESDL, defaults used: {listed}"
            out.append(AssetMessage("warning", text, object_id, len(defaults)))
        for group in self._groups.values():
            text = _REWORDED.get(group.template, group.template)
            if group.first_time:
                text = text.replace("<time>", "…")
                if group.count > 1:
                    text += f" ({group.count} time steps, first {group.first_time}"
                    text += f", last {group.last_time})"
                else:
                    text += f" (at {group.first_time})"
            elif group.count > 1:
                text += f" ({group.count} times)"
            out.append(AssetMessage(group.severity, text, group.object_id, group.count))
        return out


@contextlib.contextmanager
def collect_simulator_logs(aggregator: LogAggregator) -> Iterator[None]:
    """Route the simulator's warnings to ``aggregator`` instead of the job log while running."""
    sim_logger = logging.getLogger(SIMULATOR_LOGGER)
    old_propagate, old_level = sim_logger.propagate, sim_logger.level
    sim_logger.addHandler(aggregator)
    sim_logger.propagate = False
    # Exactly the aggregator's level: records below it would go nowhere (no propagation), yet at
    # a job process's INFO level the simulator's per-time-step info and debug calls would each
    # build a record first.
    sim_logger.setLevel(aggregator.level)
    try:
        yield
    finally:
        sim_logger.removeHandler(aggregator)
        sim_logger.propagate = old_propagate
        sim_logger.setLevel(old_level)
