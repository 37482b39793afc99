"""An ESDL model parsed once: what the product reads from it and changes in it.

A request that needs anything from a model's ESDL (the upload summary, the input profiles to
bind, the pipes that name only a size, a variation's changed numbers, the copy a job runs) builds
one :class:`EsdlDocument` and asks it, instead of parsing the text again for each question.
Building one goes through :func:`apps.models.esdl_intake.load`, so the hostile-input checks
always run before pyesdl parses. Everything here is pure Python: no Django, no database, no
network. What it reads with lives beside it: which attributes hold numbers and their units in
:mod:`apps.models.esdl_attributes`, input profile references and assumed periods in
:mod:`apps.models.esdl_profiles`.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

from esdl import esdl
from pyecore.ecore import EObject

from apps.models.esdl_attributes import numeric_attributes, quantity_unit
from apps.models.esdl_intake import (
    MAX_ESDL_BYTES,
    EsdlRejected,
    decode_upload,
    load,
    restore_edr_related,
)
from apps.models.esdl_profiles import (
    DEFAULT_PROFILE_PERIOD,
    STANDARD_DEMAND_PREFIX,
    ProfileReference,
    ProfileTarget,
    as_utc,
    iso_or_none,
    profile_unit,
)
from apps.models.pipe_catalogue import PipeSpec, catalogue_name, default_catalogue, describe_size
from omotes.asset_roles import HEAT_CONSUMER_CLASSES
from omotes.preflight import asset_label, is_result_profile, network_assets


def es_name(document: Any) -> str:
    return str(document.energy_system.name or "the model")


def _dn_of(name: str) -> str:
    """``Steel-S1-DN-200`` -> ``DN200`` (the ESDL diameter literal)."""
    return "DN" + name.rsplit("-", 1)[-1]


def _fill_from_spec(pipe: Any, spec: PipeSpec) -> None:
    pipe.innerDiameter = spec.inner_diameter_m
    pipe.outerDiameter = spec.outer_diameter_m
    literal = esdl.PipeDiameterEnum.from_string(f"DN{spec.dn}")
    if literal is not None:
        pipe.diameter = literal
    pipe.material = spec.compound_matter()


def _containers(obj: EObject) -> Iterator[EObject]:
    current = obj.eContainer()
    while current is not None:
        yield current
        current = current.eContainer()


class EsdlDocument:
    """One parsed ESDL model: the checked text, pyesdl's handler and energy system.

    ``text`` is the text as checked; :meth:`to_text` gives the model as it stands, which is that
    same text until a method here changed the model.
    """

    def __init__(self, text: str) -> None:
        """Check ``text`` and parse it (:func:`apps.models.esdl_intake.load`); EsdlRejected if
        it is refused."""
        self.text = text
        self.handler, self._edr_related, self.warnings = load(text)
        self.energy_system: Any = self.handler.energy_system
        self._changed = False

    @classmethod
    def from_upload(cls, data: bytes, max_bytes: int = MAX_ESDL_BYTES) -> EsdlDocument:
        """An uploaded file proven harmless and readable, or EsdlRejected.

        Never reads a file, opens a connection or expands entities: size and encoding are
        checked first, then a streaming defusedxml pass, then pyesdl, then a walk for leftover
        proxies.
        """
        return cls(decode_upload(data, max_bytes))

    # --- reading ----------------------------------------------------------------------------

    def assets(self) -> Iterator[Any]:
        """Assets in the instances' areas, sub-areas included (not catalogue pipes or asset
        templates)."""
        return network_assets(self.energy_system)

    def input_profiles(self) -> list[Any]:
        """The ``esdl:InfluxDBProfile`` objects that are inputs (not results of a run)."""
        return [
            obj
            for obj in self.energy_system.eAllContents()
            if isinstance(obj, esdl.InfluxDBProfile) and not is_result_profile(obj)
        ]

    def undated_profiles(self) -> list[Any]:
        """Input profiles without a startDate or an endDate (older models leave them out)."""
        return [p for p in self.input_profiles() if p.startDate is None or p.endDate is None]

    def assumed_period(self) -> tuple[datetime, datetime]:
        """The period taken for an input profile that states no start or end: that of the
        model's dated input profiles (earliest start to latest end), else
        :data:`DEFAULT_PROFILE_PERIOD`."""
        starts, ends = [], []
        for profile in self.input_profiles():
            try:
                if profile.startDate is not None:
                    starts.append(as_utc(profile.startDate))
                if profile.endDate is not None:
                    ends.append(as_utc(profile.endDate))
            except (OverflowError, ValueError):  # year 1 and such: the model's rules say so
                continue
        if starts and ends and min(starts) < max(ends):
            return min(starts), max(ends)
        return DEFAULT_PROFILE_PERIOD

    def result_profiles(self) -> list[Any]:
        """The InfluxDB profiles that hold results of an earlier run (:func:`is_result_profile`):
        never bound, never a source of the period, and left out of a job's ESDL."""
        return [
            obj
            for obj in self.energy_system.eAllContents()
            if isinstance(obj, esdl.InfluxDBProfile) and is_result_profile(obj)
        ]

    def profile_references(self) -> list[ProfileReference]:
        """The InfluxDB input profiles of the model, with their asset and port (result profiles
        of an earlier run are not inputs: :meth:`result_profiles`)."""
        refs = []
        assumed = self.assumed_period()
        for obj in self.energy_system.eAllContents():
            if not isinstance(obj, esdl.InfluxDBProfile) or is_result_profile(obj):
                continue
            port = next((c for c in _containers(obj) if isinstance(c, esdl.Port)), None)
            asset = next((c for c in _containers(obj) if isinstance(c, esdl.Asset)), None)
            refs.append(
                ProfileReference(
                    id=obj.id,
                    asset_id=asset.id if asset is not None else None,
                    asset_name=asset.name if asset is not None else None,
                    port_id=port.id if port is not None else None,
                    host=obj.host or "",
                    port=int(obj.port or 0),
                    database=obj.database or "",
                    measurement=obj.measurement or "",
                    field=obj.field or "",
                    start=as_utc(obj.startDate) or assumed[0],
                    end=as_utc(obj.endDate) or assumed[1],
                    unit=profile_unit(obj),
                    multiplier=float(obj.multiplier if obj.multiplier is not None else 1.0),
                    asset_power_w=float(getattr(asset, "power", 0.0) or 0.0) or None,
                )
            )
        return refs

    def standard_demand_references(self) -> list[ProfileReference]:
        """A reference per consumer without an input profile (:meth:`consumers_without_profile`),
        over the model's period (:meth:`assumed_period`): bound when a workflow that needs
        demand profiles is submitted, not at upload (most workflows do not need them)."""
        start, end = self.assumed_period()
        return [
            ProfileReference(
                id=STANDARD_DEMAND_PREFIX + str(asset.id)[:80],
                asset_id=asset.id,
                asset_name=asset.name,
                port_id=port.id,
                host="",
                port=0,
                database="",
                measurement="",
                field="",
                start=start,
                end=end,
                unit="",
                multiplier=1.0,
                asset_power_w=float(getattr(asset, "power", 0.0) or 0.0) or None,
            )
            for asset, port in self.consumers_without_profile()
        ]

    def consumers_without_profile(self) -> list[tuple[Any, Any]]:
        """(consumer, its InPort) of each heat consumer without an input profile on its ports
        (models made for the optimiser often have none): the product binds a standard demand
        profile to each, as to a profile it cannot reach, and adds it to the job's ESDL."""
        found = []
        for asset in self.assets():
            if asset.eClass.name not in HEAT_CONSUMER_CLASSES:
                continue
            inport = next((p for p in asset.port if isinstance(p, esdl.InPort)), None)
            has_input = any(
                isinstance(profile, esdl.InfluxDBProfile) and not is_result_profile(profile)
                for port in asset.port
                for profile in port.profile
            )
            if inport is not None and not has_input:
                found.append((asset, inport))
        return found

    def kpis(self) -> list[dict[str, Any]]:
        """KPIs embedded in the model (an output ESDL carries those of its run): name, value,
        unit and where they sit, to show on the model page."""
        found = []
        for kpi in self.energy_system.eAllContents():
            if not isinstance(kpi, esdl.KPI):
                continue
            owner = next(
                (c for c in _containers(kpi) if isinstance(c, esdl.Asset | esdl.Area)), None
            )
            value = getattr(kpi, "value", None)
            found.append(
                {
                    "name": kpi.name or kpi.id or "",
                    "value": value if isinstance(value, int | float | str) else None,
                    "unit": quantity_unit(getattr(kpi, "quantityAndUnit", None)),
                    "of": (owner.name or owner.id) if owner is not None else es_name(self),
                }
            )
        return found[:200]

    def catalogue_pipes(self) -> list[Any]:
        """Pipes the model keeps as a catalogue (``<measures>`` or ``<templates>``), not in its
        network: options for sizing, not assets."""
        in_network = {id(asset) for asset in self.assets()}
        return [
            obj
            for obj in self.energy_system.eAllContents()
            if isinstance(obj, esdl.Pipe) and id(obj) not in in_network
        ]

    def pipes_needing_size(self) -> list[tuple[Any, str]]:
        """(pipe, catalogue name) of each network pipe that names only a size: see
        :meth:`unresolved_pipe_sizes`."""
        pipes = []
        for asset in self.assets():
            if not isinstance(asset, esdl.Pipe):
                continue
            name = catalogue_name(asset, self._edr_related.get(asset.id or asset.name or "", []))
            if name is not None:
                pipes.append((asset, name))
        return pipes

    def unresolved_pipe_sizes(self) -> list[str]:
        """Distinct catalogue names (e.g. ``Steel-S1-DN-200``) of pipes that name only a size.

        These are pipes with ``diameter="DN..."`` and no ``innerDiameter``, or with a ``related``
        EDR path; the simulator would fetch them from the outside Energy Data Repository.
        """
        return sorted({name for _, name in self.pipes_needing_size()})

    def summary(self) -> dict[str, Any]:
        """A JSON-serialisable overview for the upload page: assets, carriers, input profiles."""
        es = self.energy_system
        counts: dict[str, int] = {}
        for asset in self.assets():
            counts[asset.eClass.name] = counts.get(asset.eClass.name, 0) + 1
        carriers = []
        info = es.energySystemInformation
        if info is not None and info.carriers is not None:
            for carrier in info.carriers.carrier:
                entry: dict[str, Any] = {
                    "id": carrier.id,
                    "name": carrier.name,
                    "class": carrier.eClass.name,
                }
                if isinstance(carrier, esdl.HeatCommodity):
                    # unset temperatures read as 0.0 in pyecore: report them as None instead
                    for key, attr in (
                        ("supply_temperature", "supplyTemperature"),
                        ("return_temperature", "returnTemperature"),
                    ):
                        entry[key] = getattr(carrier, attr) if carrier.eIsSet(attr) else None
                carriers.append(entry)
        profiles = self.profile_references()
        starts = [p.start for p in profiles if p.start is not None]
        ends = [p.end for p in profiles if p.end is not None]
        results = len(self.result_profiles())
        notes = []
        if results:
            notes.append(
                f"{results} profile(s) hold results of an earlier run (an output ESDL): they "
                "are not used as input, not bound, and left out of the ESDL a job gets."
            )
        undated = len(self.undated_profiles())
        if undated:
            first, last = self.assumed_period()
            notes.append(
                f"{undated} input profile(s) state no startDate or endDate: taken as "
                f"{first:%Y-%m-%d %H:%M} to {last:%Y-%m-%d %H:%M} UTC."
            )
        bare = len(self.consumers_without_profile())
        if bare:
            notes.append(
                f"{bare} consumer(s) have no demand profile: a workflow that needs one (the "
                "simulator) gets a standard heat demand profile (BDEW) scaled to its power, "
                "which you can then replace by your own CSV."
            )
        catalogue = len(self.catalogue_pipes())
        if catalogue:
            notes.append(
                f"{catalogue} pipe(s) form the model's pipe catalogue (measures or templates): "
                "not counted as assets; a network pipe that names only a DN size takes its "
                "properties from there first, then from our pipe catalogue."
            )
        return {
            "name": es.name,
            "id": es.id,
            "asset_counts": dict(sorted(counts.items())),
            "asset_total": sum(counts.values()),
            "carriers": carriers,
            "input_profiles": [p.to_dict() for p in profiles],
            "profile_period": {
                "start": iso_or_none(min(starts)) if starts else None,
                "end": iso_or_none(max(ends)) if ends else None,
            },
            "unresolved_pipe_sizes": self.unresolved_pipe_sizes(),
            "result_profiles": results,
            "catalogue_pipes": catalogue,
            "kpis": self.kpis(),
            "notes": notes,
            "parse_warnings": self.warnings[:50],
        }

    # --- changing ---------------------------------------------------------------------------

    def set_number(self, asset_id: str, attribute: str, value: float) -> None:
        """Set a numeric attribute of an asset; EsdlRejected for an unknown asset or attribute,
        or a fraction given to a whole-number attribute."""
        asset = next((a for a in self.assets() if a.id == asset_id), None)
        if asset is None:
            raise EsdlRejected(f"The model has no asset {asset_id!r}.")
        feature = next((f for f in numeric_attributes(asset) if f.name == attribute), None)
        if feature is None:
            raise EsdlRejected(
                f"{asset.eClass.name} {asset.name or asset.id} has no number {attribute!r}."
            )
        if feature.eType.name in ("EInt", "ELong"):
            if value != int(value):
                raise EsdlRejected(f"{attribute} takes whole numbers.")
            value = int(value)
        setattr(asset, attribute, value)
        self._changed = True

    def _model_pipe_catalogue(self) -> dict[str, Any]:
        """DN size (``DN200``) -> a pipe of the model's own catalogue that states its
        ``innerDiameter``: the designer's choice comes before ours."""
        found: dict[str, Any] = {}
        for pipe in self.catalogue_pipes():
            diameter = pipe.diameter
            if pipe.innerDiameter and diameter is not None and diameter.name != "VALUE_SPECIFIED":
                found.setdefault(diameter.name, pipe)
        return found

    def unresolvable_pipes(
        self, catalogue: Mapping[str, PipeSpec] | None = None
    ) -> list[tuple[Any, str]]:
        """(pipe, catalogue name) of each network pipe that names only a size that neither the
        model's own pipe catalogue nor ``catalogue`` (default: the shipped one) holds."""
        catalogue = default_catalogue() if catalogue is None else catalogue
        own = self._model_pipe_catalogue()
        return [
            (pipe, name)
            for pipe, name in self.pipes_needing_size()
            if name not in catalogue and _dn_of(name) not in own
        ]

    def resolve_pipe_sizes(self, catalogue: Mapping[str, PipeSpec] | None = None) -> None:
        """Fill size-only pipes so the simulator never calls the EDR: from the model's own pipe
        catalogue (``<measures>``/``<templates>``) where it states the size, else from
        ``catalogue`` (default: the shipped one).

        From our catalogue this sets ``innerDiameter``, ``outerDiameter``, ``diameter`` and the
        layered insulation (``esdl:CompoundMatter``, as in the EDR entries); from the model's
        catalogue its diameters. Their EDR ``related`` paths are gone from :meth:`to_text`.
        ``DN200`` without a series means S1; an EDR path names the exact entry. The model's own
        catalogue pipes that name only a size are filled where ``catalogue`` knows it. Raises
        EsdlRejected naming every network pipe whose size is unknown, changing nothing.
        """
        catalogue = default_catalogue() if catalogue is None else catalogue
        missing = self.unresolvable_pipes(catalogue)
        if missing:
            sizes = sorted({describe_size(name) for _, name in missing})
            pipes = ", ".join(sorted({asset_label(pipe) for pipe, _ in missing})[:10])
            raise EsdlRejected(
                f"Unknown pipe size(s), not in the model's pipe catalogue nor in ours: "
                f"{', '.join(sizes)} (pipes {pipes}); set their innerDiameter"
            )
        own = self._model_pipe_catalogue()
        for pipe, name in self.pipes_needing_size():
            entry = own.get(_dn_of(name))
            if entry is not None:
                pipe.innerDiameter = entry.innerDiameter
                if entry.outerDiameter:
                    pipe.outerDiameter = entry.outerDiameter
            else:
                _fill_from_spec(pipe, catalogue[name])
            self._edr_related.pop(pipe.id or pipe.name or "", None)
            self._changed = True
        for pipe in self.catalogue_pipes():
            name = catalogue_name(pipe, [])
            if name is not None and name in catalogue:
                _fill_from_spec(pipe, catalogue[name])
                self._changed = True

    def name_unnamed_assets(self) -> int:
        """Name each network asset without a name (ESDL allows that) ``<Type>_<id>``, as the
        simulator and the results tell assets apart by name; returns how many."""
        unnamed = [asset for asset in self.assets() if not asset.name]
        for asset in unnamed:
            asset.name = f"{asset.eClass.name}_{asset.id}"
        if unnamed:
            self._changed = True
        return len(unnamed)

    def drop_result_profiles(self) -> int:
        """Remove the profiles holding results of an earlier run (:meth:`result_profiles`), so
        that a job neither reads them nor takes its period from them; returns how many."""
        dropped = self.result_profiles()
        for profile in dropped:
            container = profile.eContainer()
            feature = profile.eContainmentFeature()
            if feature.many:
                container.eGet(feature).remove(profile)
            else:
                container.eSet(feature, None)
        if dropped:
            self._changed = True
        return len(dropped)

    def rewrite_profiles(self, replacements: Mapping[str, ProfileTarget]) -> None:
        """Point InfluxDB profiles (by profile id) at our own store, in W, with UTC-aware dates;
        a consumer without a profile gets the one its standard demand profile is bound to.

        The frontend stores input profiles in W, so the unit becomes POWER in WATT and the
        multiplier 1; the simulator matches first/last points against start/end as UTC-aware
        datetimes, so naive dates are taken as UTC. EsdlRejected for an unknown profile id,
        changing nothing.
        """
        by_id = {
            obj.id: obj
            for obj in self.energy_system.eAllContents()
            if isinstance(obj, esdl.InfluxDBProfile)
        }
        for asset, port in self.consumers_without_profile():
            profile_id = STANDARD_DEMAND_PREFIX + str(asset.id)[:80]
            if profile_id in replacements:
                added = esdl.InfluxDBProfile(
                    id=profile_id, name=f"{asset.name or asset.id} standard demand"
                )
                port.profile.insert(0, added)  # the simulator reads a port's first profile
                by_id[profile_id] = added
        unknown = sorted(set(replacements) - set(by_id))
        if unknown:
            raise EsdlRejected(f"No InfluxDB profile with id {', '.join(unknown)} in this ESDL")
        for profile_id, target in replacements.items():
            profile = by_id[profile_id]
            profile.host = target.host
            profile.port = int(target.port)
            profile.database = target.database
            profile.measurement = target.measurement
            profile.field = target.field
            profile.startDate = as_utc(target.start)
            profile.endDate = as_utc(target.end)
            profile.multiplier = 1.0
            profile.profileQuantityAndUnit = esdl.QuantityAndUnitType(
                id=str(uuid.uuid4()),
                physicalQuantity=esdl.PhysicalQuantityEnum.POWER,
                unit=esdl.UnitEnum.WATT,
                multiplier=esdl.MultiplierEnum.NONE,
                description="Power in W",
            )
            self._changed = True

    def to_text(self) -> str:
        """The model as ESDL XML text: the checked text itself until something changed it."""
        if not self._changed:
            return self.text
        text = str(self.handler.to_string())
        return restore_edr_related(text, self._edr_related) if self._edr_related else text
