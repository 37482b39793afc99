"""The network map's cost: an ESDL parsed and its network drawn, cold and from the cache.

For generated networks of ``--assets`` (``omotes.esdl_generator``), with their geometry and with
it removed (a schematic layout from the connections), times ``--repeat`` times:

- ``parse_ms``: the ESDL checked and parsed (``EsdlDocument``);
- ``geographic_ms`` / ``schematic_ms``: the map's network from the parsed assets
  (``apps.network.geometry.network_geojson``);
- ``cached_ms``: ``apps.network.services.network_of_text`` once its answer is cached (Redis),
  what every visit after the first costs.

Medians in milliseconds. Needs Redis (the Django cache) and the settings' environment
(``source scripts/local-env.sh``).

Usage::

    .venv/bin/python bench/network_map.py [--assets 100 1000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _ms(function, *args) -> tuple[float, object]:
    start = time.perf_counter()
    result = function(*args)
    return (time.perf_counter() - start) * 1000, result


def measure(assets: int, repeat: int) -> dict:
    from apps.models.esdl_document import EsdlDocument
    from apps.network.geometry import network_geojson
    from apps.network.services import network_of_text
    from omotes.esdl_generator import network_text

    text = network_text(assets, seed=0)
    parse, geographic, schematic, cached = [], [], [], []
    for _ in range(repeat):
        took, document = _ms(EsdlDocument, text)
        parse.append(took)
        found = list(document.assets())
        geographic.append(_ms(network_geojson, found)[0])
        for asset in found:
            asset.geometry = None
        schematic.append(_ms(network_geojson, found)[0])
        network_of_text(text)  # cached from here on
        cached.append(_ms(network_of_text, text)[0])
    return {
        "assets": assets,
        "parse_ms": round(statistics.median(parse), 1),
        "geographic_ms": round(statistics.median(geographic), 1),
        "schematic_ms": round(statistics.median(schematic), 1),
        "cached_ms": round(statistics.median(cached), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assets", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "designtoolkit.settings")
    import django

    django.setup()
    result = {
        "bench": "network_map",
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "load_average": os.getloadavg()[0],
        "repeat": args.repeat,
        "networks": [measure(n, args.repeat) for n in args.assets],
    }
    line = json.dumps(result)
    print(line)
    out = ROOT / "bench" / "results" / "network_map.jsonl"
    out.parent.mkdir(exist_ok=True)
    with out.open("a") as file:
        file.write(line + "\n")


if __name__ == "__main__":
    main()
