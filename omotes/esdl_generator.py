"""A generator of valid heat-network ESDL models of any size, for load tests and benchmarks.

``python -m omotes.esdl_generator --assets 1000 -o network.esdl`` writes a district heating
network of exactly that many assets (10 or more), deterministic for a given ``--seed``:

- producers (``GenericProducer``, every other one a ``ResidualHeatSource``) feed the root of a
  binary tree of street clusters; each cluster is a supply ``Joint`` and a return ``Joint``
  linked to its parent cluster by a supply and a return pipe;
- consumers (``HeatingDemand`` with a ``power`` in W and an hourly ``InfluxDBProfile`` in MW,
  the shape scaled by ``multiplier`` = the consumer's peak in MW) hang off a cluster by a service
  pipe pair; up to two more sit directly on a cluster's joints, which is how the total comes out
  exact for any N;
- every pipe has a length (from its geometry, in m), a nominal diameter (``DN...``) and the
  inner diameter of that size (EN 253 steel, in m), sized for <= 1.5 m/s at the peak it carries,
  and names its partner (``related``) in the other half of the supply/return pair;
- two carriers as in the test models: ``HeatSupply`` (80 degC) and ``HeatReturn`` (40 degC);
  joints have one in and one out port (the simulator wants equal counts), every port is
  connected, and the same carrier is on both ends of every connection.

The models are built with pyesdl and written through its XML resource; they pass the upload check
(``apps.models.esdl_document.EsdlDocument.from_upload``: no external references, no schema
locations).
"""

from __future__ import annotations

import argparse
import math
import random
import sys
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import esdl
from esdl.esdl_handler import EnergySystemHandler

#: Nominal size -> inner diameter [m] (EN 253 pre-insulated steel pipes, series 1).
PIPE_SIZES: tuple[tuple[str, float], ...] = (
    ("DN20", 0.0217),
    ("DN25", 0.0285),
    ("DN32", 0.0372),
    ("DN40", 0.0431),
    ("DN50", 0.0545),
    ("DN65", 0.0703),
    ("DN80", 0.0825),
    ("DN100", 0.1071),
    ("DN125", 0.1325),
    ("DN150", 0.1603),
    ("DN200", 0.2101),
    ("DN250", 0.263),
    ("DN300", 0.3127),
    ("DN350", 0.3444),
    ("DN400", 0.3938),
    ("DN450", 0.4446),
    ("DN500", 0.4954),
    ("DN600", 0.5958),
    ("DN700", 0.695),
    ("DN800", 0.7954),
    ("DN900", 0.894),
    ("DN1000", 0.994),
)
SUPPLY_TEMPERATURE_C = 80.0
RETURN_TEMPERATURE_C = 40.0
MAX_VELOCITY_M_S = 1.5
#: Wall roughness of new steel pipes [m].
PIPE_ROUGHNESS_M = 5e-5
WATER_DENSITY_KG_M3 = 980.0
WATER_HEAT_CAPACITY_J_KG_K = 4180.0
#: Producers' total capacity relative to the sum of the consumers' peaks.
PRODUCER_MARGIN = 1.25
#: Roughly one street cluster (2 joints, 2 pipes, 3-4 consumers) per this many assets.
ASSETS_PER_CLUSTER = 16
#: One producer per this many assets (at least one).
ASSETS_PER_PRODUCER = 250
MIN_ASSETS = 6

_ORIGIN_LAT, _ORIGIN_LON = 52.09, 5.12
_M_PER_DEG_LAT = 111_320.0


@dataclass(frozen=True)
class InputProfile:
    """Where the consumers' input profiles are said to live (the frontend rewrites them).

    Each consumer gets field ``field_pattern.format(k)`` for k = 1..``fields`` in turn; the values
    there are taken as MW per MW of peak (a shape with peak 1), scaled by the ``multiplier``.
    """

    host: str = "127.0.0.1"
    port: int = 8086
    database: str = "energy_profiles"
    measurement: str = "WarmingUp default profiles"
    field_pattern: str = "demand{}_MW"
    fields: int = 5
    start: datetime = datetime(2019, 1, 1, tzinfo=UTC)
    end: datetime = datetime(2019, 12, 31, 23, tzinfo=UTC)

    def field(self, index: int) -> str:
        return self.field_pattern.format(index % self.fields + 1)


@dataclass(frozen=True)
class NetworkPlan:
    """How many of each part a network of ``total`` assets has.

    total = 2 (root joints) + 4 x (clusters - 1) + 3 x producers + 3 x consumers (with their
    service pipe pair) + direct consumers (on the joints, 0..2).
    """

    clusters: int
    producers: int
    consumers: int
    direct_consumers: int

    @property
    def total(self) -> int:
        return (
            2
            + 4 * (self.clusters - 1)
            + 3 * self.producers
            + 3 * self.consumers
            + self.direct_consumers
        )

    @property
    def joints(self) -> int:
        return 2 * self.clusters

    @property
    def pipes(self) -> int:
        return 2 * (self.clusters - 1) + 2 * self.producers + 2 * self.consumers

    @property
    def demands(self) -> int:
        return self.consumers + self.direct_consumers


def plan_network(assets: int) -> NetworkPlan:
    """The parts of a network of exactly ``assets`` assets (at least :data:`MIN_ASSETS`)."""
    if assets < MIN_ASSETS:
        raise ValueError(f"a network needs at least {MIN_ASSETS} assets, not {assets}")
    producers = max(1, assets // ASSETS_PER_PRODUCER)
    clusters = max(1, round(assets / ASSETS_PER_CLUSTER))
    while True:
        rest = assets - 2 - 4 * (clusters - 1) - 3 * producers
        if rest >= 1:
            break
        # Small networks: fewer clusters, then fewer producers, until a consumer fits.
        if clusters > 1:
            clusters -= 1
        else:
            producers -= 1
    plan = NetworkPlan(clusters, producers, rest // 3, rest % 3)
    assert plan.total == assets
    return plan


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def pipe_size(peak_w: float) -> tuple[str, float]:
    """The smallest nominal size (and its inner diameter, m) keeping velocity <= 1.5 m/s."""
    delta_t = SUPPLY_TEMPERATURE_C - RETURN_TEMPERATURE_C
    flow_m3_s = peak_w / (WATER_DENSITY_KG_M3 * WATER_HEAT_CAPACITY_J_KG_K * delta_t)
    for name, inner_m in PIPE_SIZES:
        if flow_m3_s <= MAX_VELOCITY_M_S * math.pi * inner_m**2 / 4:
            return name, inner_m
    return PIPE_SIZES[-1]


class _Builder:
    """Builds one network; positions are (x, y) in metres east and north of the origin."""

    def __init__(self, seed: int, profile: InputProfile | None, name: str) -> None:
        self.rng = random.Random(seed)
        self.profile = profile
        self.handler = EnergySystemHandler()
        self.es = self.handler.create_empty_energy_system(
            name, f"Generated heat network (seed {seed})", "Instance", "Network"
        )
        self.es.id = self.id()
        self.es.instance[0].id = self.id()
        self.area = self.es.instance[0].area
        self.area.id = self.id()
        info = esdl.EnergySystemInformation(id=self.id())
        self.es.energySystemInformation = info
        info.carriers = esdl.Carriers(id=self.id())
        self.supply = esdl.HeatCommodity(
            id=self.id(), name="HeatSupply", supplyTemperature=SUPPLY_TEMPERATURE_C
        )
        self.ret = esdl.HeatCommodity(
            id=self.id(), name="HeatReturn", returnTemperature=RETURN_TEMPERATURE_C
        )
        info.carriers.carrier.extend([self.supply, self.ret])
        info.quantityAndUnits = esdl.QuantityAndUnits(id=self.id())
        self.power_mw = esdl.QuantityAndUnitType(
            id=self.id(),
            description="Power in MW",
            physicalQuantity=esdl.PhysicalQuantityEnum.POWER,
            multiplier=esdl.MultiplierEnum.MEGA,
            unit=esdl.UnitEnum.WATT,
        )
        info.quantityAndUnits.quantityAndUnit.append(self.power_mw)
        self.counts: dict[str, int] = {}

    def id(self) -> str:
        return _uuid(self.rng)

    def _name(self, prefix: str) -> str:
        n = self.counts[prefix] = self.counts.get(prefix, 0) + 1
        return f"{prefix}_{n:04d}"

    @staticmethod
    def _point(position: tuple[float, float]) -> esdl.Point:
        x, y = position
        lat = _ORIGIN_LAT + y / _M_PER_DEG_LAT
        lon = _ORIGIN_LON + x / (_M_PER_DEG_LAT * math.cos(math.radians(_ORIGIN_LAT)))
        return esdl.Point(lat=round(lat, 7), lon=round(lon, 7), CRS="WGS84")

    def _ports(self, asset: esdl.Asset, in_carrier: esdl.Carrier, out_carrier: esdl.Carrier):
        inport = esdl.InPort(id=self.id(), name="In", carrier=in_carrier)
        outport = esdl.OutPort(id=self.id(), name="Out", carrier=out_carrier)
        asset.port.extend([inport, outport])
        return inport, outport

    def node(self, cls: type, prefix: str, position: tuple[float, float], **attrs):
        """An asset (without ports) at one point, added to the area."""
        asset = cls(id=self.id(), name=self._name(prefix), **attrs)
        asset.geometry = self._point(position)
        self.area.asset.append(asset)
        return asset

    def pipe(
        self,
        prefix: str,
        carrier: esdl.Carrier,
        start: tuple[float, float],
        end: tuple[float, float],
        peak_w: float,
    ) -> esdl.Pipe:
        size, inner_m = pipe_size(peak_w)
        length_m = max(5.0, round(math.dist(start, end), 1))
        pipe = esdl.Pipe(
            id=self.id(),
            name=self._name(prefix),
            length=length_m,
            innerDiameter=inner_m,
            diameter=getattr(esdl.PipeDiameterEnum, size),
            roughness=PIPE_ROUGHNESS_M,
        )
        line = esdl.Line(CRS="WGS84")
        line.point.extend([self._point(start), self._point(end)])
        pipe.geometry = line
        self._ports(pipe, carrier, carrier)
        self.area.asset.append(pipe)
        return pipe

    def pipe_pair(
        self, name: str, start: tuple[float, float], end: tuple[float, float], peak_w: float
    ) -> tuple[esdl.Pipe, esdl.Pipe]:
        """A supply pipe start -> end and its return pipe end -> start, 2 m beside it."""
        supply = self.pipe(f"{name}_supply", self.supply, start, end, peak_w)
        offset = (start[0] + 2.0, start[1] + 2.0), (end[0] + 2.0, end[1] + 2.0)
        ret = self.pipe(f"{name}_return", self.ret, offset[1], offset[0], peak_w)
        supply.related.append(ret)
        ret.related.append(supply)
        return supply, ret

    def demand(self, position: tuple[float, float], peak_w: float, index: int):
        demand = self.node(esdl.HeatingDemand, "HeatingDemand", position, power=peak_w)
        inport, _ = self._ports(demand, self.supply, self.ret)
        if self.profile is not None:
            p = self.profile
            inport.profile.append(
                esdl.InfluxDBProfile(
                    id=self.id(),
                    name=f"{demand.name} demand",
                    host=p.host,
                    port=p.port,
                    database=p.database,
                    measurement=p.measurement,
                    field=p.field(index),
                    filters="",
                    startDate=p.start,
                    endDate=p.end,
                    multiplier=peak_w / 1e6,
                    profileQuantityAndUnit=esdl.QuantityAndUnitReference(reference=self.power_mw),
                )
            )
        return demand


def _connect(out_port: esdl.Port, in_port: esdl.Port) -> None:
    out_port.connectedTo.append(in_port)  # the opposite end is set by pyecore


def _ports_of(asset: esdl.Asset) -> tuple[esdl.InPort, esdl.OutPort]:
    inport = next(p for p in asset.port if isinstance(p, esdl.InPort))
    outport = next(p for p in asset.port if isinstance(p, esdl.OutPort))
    return inport, outport


def generate_network(
    assets: int = 1000,
    seed: int = 0,
    profile: InputProfile | None = InputProfile(),
    name: str | None = None,
) -> EnergySystemHandler:
    """Build a network of exactly ``assets`` assets; returns its pyesdl handler.

    ``profile=None`` leaves the consumers without input profiles (``power`` only).
    """
    plan = plan_network(assets)
    b = _Builder(seed, profile, name or f"Generated network of {assets} assets")
    rng = b.rng

    # Street clusters: a binary tree, each child 150-400 m from its parent.
    positions: list[tuple[float, float]] = [(0.0, 0.0)]
    for i in range(1, plan.clusters):
        px, py = positions[(i - 1) // 2]
        angle, distance = rng.uniform(0, 2 * math.pi), rng.uniform(150, 400)
        positions.append((px + distance * math.cos(angle), py + distance * math.sin(angle)))

    # Consumers: peak 50-500 kW each; service pipes to their cluster, direct ones on the joints.
    attached: list[list[tuple[float, float, bool]]] = [[] for _ in range(plan.clusters)]
    for k in range(plan.consumers):
        attached[k % plan.clusters].append(
            (rng.uniform(50e3, 500e3), rng.uniform(0, 2 * math.pi), False)
        )
    for k in range(plan.direct_consumers):
        cluster = (plan.clusters - 1 - k) % plan.clusters
        attached[cluster].append((rng.uniform(50e3, 500e3), rng.uniform(0, 2 * math.pi), True))

    # Peak carried by the pipes into each cluster: its consumers and all clusters below it.
    load = [sum(peak for peak, _, _ in consumers) for consumers in attached]
    for i in range(plan.clusters - 1, 0, -1):
        load[(i - 1) // 2] += load[i]

    joints = []
    for i, position in enumerate(positions):
        supply_joint = b.node(esdl.Joint, "Joint_supply", position)
        b._ports(supply_joint, b.supply, b.supply)
        return_joint = b.node(esdl.Joint, "Joint_return", (position[0] + 2.0, position[1] + 2.0))
        b._ports(return_joint, b.ret, b.ret)
        joints.append((_ports_of(supply_joint), _ports_of(return_joint)))
        if i > 0:
            parent = (i - 1) // 2
            supply, ret = b.pipe_pair("Pipe_main", positions[parent], position, load[i])
            _connect(joints[parent][0][1], _ports_of(supply)[0])
            _connect(_ports_of(supply)[1], joints[i][0][0])
            _connect(joints[i][1][1], _ports_of(ret)[0])
            _connect(_ports_of(ret)[1], joints[parent][1][0])

    demand_index = 0
    for i, consumers in enumerate(attached):
        (_, supply_out), (return_in, _) = joints[i]
        for peak_w, angle, direct in consumers:
            distance = 8.0 if direct else rng.uniform(20, 60)
            x, y = positions[i]
            where = (x + distance * math.cos(angle), y + distance * math.sin(angle))
            demand = b.demand(where, peak_w, demand_index)
            demand_index += 1
            demand_in, demand_out = _ports_of(demand)
            if direct:
                _connect(supply_out, demand_in)
                _connect(demand_out, return_in)
                continue
            supply, ret = b.pipe_pair("Pipe_service", positions[i], where, peak_w)
            _connect(supply_out, _ports_of(supply)[0])
            _connect(_ports_of(supply)[1], demand_in)
            _connect(demand_out, _ports_of(ret)[0])
            _connect(_ports_of(ret)[1], return_in)

    # Producers around the root, together PRODUCER_MARGIN x the sum of the consumers' peaks.
    capacity_w = round(PRODUCER_MARGIN * load[0] / plan.producers, -3)
    (root_supply_in, _), (_, root_return_out) = joints[0]
    for k in range(plan.producers):
        angle = 2 * math.pi * k / plan.producers
        where = (300.0 * math.cos(angle), 300.0 * math.sin(angle))
        cls, prefix = (
            (esdl.GenericProducer, "GenericProducer")
            if k % 2 == 0
            else (esdl.ResidualHeatSource, "ResidualHeatSource")
        )
        producer = b.node(cls, prefix, where, power=capacity_w)
        producer_in, producer_out = b._ports(producer, b.ret, b.supply)
        supply, ret = b.pipe_pair("Pipe_production", where, (0.0, 0.0), capacity_w)
        _connect(producer_out, _ports_of(supply)[0])
        _connect(_ports_of(supply)[1], root_supply_in)
        _connect(root_return_out, _ports_of(ret)[0])
        _connect(_ports_of(ret)[1], producer_in)

    return b.handler


def cost_value(value: float, multiplier: str, per_unit: str) -> esdl.SingleValue:
    """A cost of ``value`` EUR per ``multiplier`` ``per_unit`` (e.g. EUR per MWh)."""
    unit = esdl.QuantityAndUnitType(
        id=str(uuid.uuid4()),
        physicalQuantity=esdl.PhysicalQuantityEnum.COST,
        unit=esdl.UnitEnum.EURO,
        perMultiplier=getattr(esdl.MultiplierEnum, multiplier),
        perUnit=getattr(esdl.UnitEnum, per_unit),
    )
    return esdl.SingleValue(id=str(uuid.uuid4()), value=value, profileQuantityAndUnit=unit)


def producer_choice_network(
    cheap_capacity_w: float = 1.0e6,
    peaks_w: Sequence[float] = (500e3, 600e3, 700e3),
    opex_eur_per_mwh: tuple[float, float] = (10.0, 80.0),
    seed: int = 0,
    profile: InputProfile | None = InputProfile(),
) -> EnergySystemHandler:
    """A small network with a choice to make, for the optimiser: a cheap producer (limited to
    ``cheap_capacity_w``) and a dear one (enough for all), both optional (to be sized), each on
    a pipe pair to one pair of joints, and a heating demand per peak in ``peaks_w`` on its own
    pipe pair. Both producers cost 100 EUR/kW to build and ``opex_eur_per_mwh`` to run; the
    demands have input profiles as in :func:`generate_network`. The pipes are optional too:
    their generated size (1.5 m/s at the peak they carry) is the largest the optimiser may
    give them."""
    b = _Builder(seed, profile, "Two producers, three demands")
    total = sum(peaks_w)
    supply_joint = b.node(esdl.Joint, "Joint_supply", (0.0, 0.0))
    return_joint = b.node(esdl.Joint, "Joint_return", (2.0, 2.0))
    (supply_in, supply_out) = b._ports(supply_joint, b.supply, b.supply)
    (return_in, return_out) = b._ports(return_joint, b.ret, b.ret)
    for k, peak_w in enumerate(peaks_w):
        where = (200.0 * math.cos(k), 200.0 * math.sin(k))
        demand_in, demand_out = _ports_of(b.demand(where, peak_w, k))
        supply, ret = b.pipe_pair("Pipe_demand", (0.0, 0.0), where, peak_w)
        _connect(supply_out, _ports_of(supply)[0])
        _connect(_ports_of(supply)[1], demand_in)
        _connect(demand_out, _ports_of(ret)[0])
        _connect(_ports_of(ret)[1], return_in)
    for k, (name, capacity_w) in enumerate(
        (("Cheap", cheap_capacity_w), ("Dear", PRODUCER_MARGIN * total))
    ):
        where = (-300.0, 150.0 - 300.0 * k)
        producer = b.node(
            esdl.GenericProducer,
            f"Producer{name}",
            where,
            power=capacity_w,
            state=esdl.AssetStateEnum.OPTIONAL,  # the optimiser sizes it (0 .. power)
        )
        producer.costInformation = esdl.CostInformation(
            id=b.id(),
            investmentCosts=cost_value(100.0, "KILO", "WATT"),
            variableOperationalCosts=cost_value(opex_eur_per_mwh[k], "MEGA", "WATTHOUR"),
        )
        producer_in, producer_out = b._ports(producer, b.ret, b.supply)
        supply, ret = b.pipe_pair("Pipe_producer", where, (0.0, 0.0), PRODUCER_MARGIN * total)
        _connect(producer_out, _ports_of(supply)[0])
        _connect(_ports_of(supply)[1], supply_in)
        _connect(return_out, _ports_of(ret)[0])
        _connect(_ports_of(ret)[1], producer_in)
    for pipe in b.area.asset:
        if isinstance(pipe, esdl.Pipe):
            pipe.state = esdl.AssetStateEnum.OPTIONAL
    return b.handler


def network_text(assets: int = 1000, seed: int = 0, **kwargs) -> str:
    """The ESDL text of :func:`generate_network` (what ``-o`` writes)."""
    return generate_network(assets, seed, **kwargs).to_string()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m omotes.esdl_generator",
        description="Write a valid heat-network ESDL of N assets (producers, pipes in supply "
        "and return pairs, joints, heating demands with input profiles).",
    )
    parser.add_argument("--assets", type=int, default=1000, help="number of assets (1000)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (0): same seed, same file")
    parser.add_argument("--no-profiles", action="store_true", help="consumers with power only")
    parser.add_argument("--profile-database", default=InputProfile.database)
    parser.add_argument(
        "--producer-choice",
        action="store_true",
        help="instead: the optimiser's test case (2 producers of different cost, 3 demands)",
    )
    parser.add_argument("-o", "--output", required=True, help="ESDL file to write ('-': stdout)")
    args = parser.parse_args(argv)
    try:
        plan_network(args.assets)
    except ValueError as exc:
        parser.error(str(exc))
    profile = None if args.no_profiles else InputProfile(database=args.profile_database)
    if args.producer_choice:
        handler = producer_choice_network(seed=args.seed, profile=profile)
    else:
        handler = generate_network(args.assets, args.seed, profile=profile)
    if args.output == "-":
        sys.stdout.write(handler.to_string())
    else:
        handler.save(str(Path(args.output)))
    if args.producer_choice:
        return 0
    plan = plan_network(args.assets)
    print(
        f"{plan.total} assets: {plan.producers} producers, {plan.demands} heating demands, "
        f"{plan.pipes} pipes, {plan.joints} joints",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
