"""Which ESDL asset classes produce and which consume heat: the one list every use imports.

The ESDL class tree does not answer it: ``GasHeater``, ``ElectricBoiler`` and ``HeatPump`` are
``Conversion`` assets there (they turn gas or electricity into heat), yet on the heat network
they feed they are its producers, as ``GenericProducer``, ``HeatProducer`` and the latter's
subclasses are. A producer gives supply water out through its OutPort and takes the cooled
water back through its InPort; a consumer takes supply water in and gives it back cooled.

A heat pump is a producer or not by its ports, as the models we run decide:

- with two ports (one In, one Out; mesido also allows an extra electricity InPort) it is an
  air-to-water heat pump: it takes heat from the air and supplies it to the one network it is
  connected to. The simulator's mapper registry (``EsdlAssetHeatPumpMapper`` of
  omotes-simulator-core) makes it an ``AirToWaterHeatPump``, a production cluster that the
  network controller drives like any producer (same optimiser and constraint profiles) and that
  writes ``heat_supplied``; mesido makes it an ``AirWaterHeatPump`` heat source. A producer.
- with four ports (``PrimIn``/``PrimOut`` on a primary network, ``SecIn``/``SecOut`` on the
  secondary one it feeds) it is a water-to-water heat pump: the simulator and mesido make it a
  conversion asset between two networks, writing ``heat_power_primary`` and
  ``heat_power_secondary``. Not a producer: it only moves heat that a producer of the primary
  network supplied, so a network needs a producer besides it.

Where only the class is known (a stored series names its asset class, not its port count), a
heat pump is grouped with the producers (:data:`SUPPLYING_CLASSES`): either kind supplies heat
to the network it feeds, and the In/Out port names that give a port its supply or return role
exist only on the two-port kind (the four-port kind names its ports Prim*/Sec*).
"""

from __future__ import annotations

#: Classes that supply heat to the network they are connected to, whatever their ports.
HEAT_PRODUCER_CLASSES: frozenset[str] = frozenset(
    {
        "Producer",
        "GenericProducer",
        "HeatProducer",
        "GeothermalSource",
        "ResidualHeatSource",
        "SolarCollector",
        "GasHeater",
        "ElectricBoiler",
    }
)
HEAT_PUMP = "HeatPump"
#: A heat pump with this many ports or more is a conversion between two networks; with fewer, a
#: producer.
HEAT_PUMP_CONVERSION_PORTS = 4
#: Classes that may supply heat to a network, for uses that know the class only.
SUPPLYING_CLASSES: frozenset[str] = HEAT_PRODUCER_CLASSES | {HEAT_PUMP}
#: Classes that take heat from the network.
HEAT_CONSUMER_CLASSES: frozenset[str] = frozenset({"Consumer", "GenericConsumer", "HeatingDemand"})


def is_heat_producer(asset_class: str, port_count: int) -> bool:
    """Whether an asset of ``asset_class`` with ``port_count`` ports supplies heat to its network
    (a heat pump only without a primary side: see the module docstring)."""
    if asset_class == HEAT_PUMP:
        return port_count < HEAT_PUMP_CONVERSION_PORTS
    return asset_class in HEAT_PRODUCER_CLASSES


def is_heat_producer_asset(asset: object) -> bool:
    """:func:`is_heat_producer` of a pyesdl asset."""
    return is_heat_producer(asset.eClass.name, len(asset.port))  # type: ignore[attr-defined]
