"""How long the profile binder takes to copy a model's input profiles from an outside InfluxDB,
against binding standard (BDEW) profiles, and against binding the copies already made (cache).

Writes a year of hourly ``demand1_MW`` .. ``demand5_MW`` into the database ``--outside-database``
of this machine's InfluxDB (the "outside" server: listed on ``DT_OUTSIDE_SERVERS`` with
``allow_private``, logging in with the product's own account from the environment), generates a
network of ``--assets`` assets whose input profiles name it, and uploads it three times through
``upload_esdl_model`` into a project of a new user in the database ``DT_DB_NAME`` names (migrated
beforehand), binding each as the profile binder does (``bind_next_model``): with no server listed
(BDEW stands in), listed (copies), and listed again (the copies of the second upload are bound).
The user, its models and both InfluxDB databases are removed at the end.

Usage::

    DT_DB_NAME=... .venv/bin/python bench/outside.py [--assets 400]

Output: one JSON line on stdout, also appended to ``bench/results/outside.jsonl``::

    {"assets": 400, "profiles": 101, "series": 5, "points_per_profile": 8760,
     "bdew_bind_s": 9.1, "copy_bind_s": 7.9, "cached_bind_s": 0.6, "copy_ms_per_profile": 78, ...}
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

if __package__:  # imported as ``bench.outside``
    from . import harness
else:  # run as ``python bench/outside.py``: import the module next to this script
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import harness

FIELDS = [f"demand{n}_MW" for n in range(1, 6)]
HOURS = 8760


def write_outside_series(database: str) -> None:
    from omotes.influx import InfluxClient, encode_line

    client = InfluxClient()
    client.create_database(database, shard_duration="10000w")
    start = datetime(2019, 1, 1, tzinfo=UTC)
    lines = [
        encode_line(
            "WarmingUp default profiles",
            {},
            {f: 0.3 + (h % 24) / 40 + n / 100 for n, f in enumerate(FIELDS)},
            int((start + timedelta(hours=h)).timestamp()),
        )
        for h in range(HOURS)
    ]
    client.write_lines(database, lines)


def run(assets: int, outside_database: str) -> dict[str, Any]:
    from django.conf import settings

    from apps.accounts.services import create_user
    from apps.models.models import Project
    from apps.models.services import upload_esdl_model
    from apps.outside.models import StandIn
    from apps.profiles.binding import bind_next_model
    from apps.results.influx import influx_client
    from omotes.esdl_generator import network_text

    text = network_text(assets).replace(
        'database="energy_profiles"', f'database="{outside_database}"'
    )
    data = text.encode()
    write_outside_series(outside_database)
    user = create_user(f"bench-outside-{secrets.token_hex(4)}@example.org", secrets.token_hex(16))
    project = Project.objects.create(owner=user, name="Outside benchmark")
    listed = json.dumps(
        [
            {
                "name": "bench-outside",
                "url": "http://127.0.0.1:8086",
                "allow_private": True,
                "username_env": "OMOTES_INFLUX_USERNAME",
                "password_env": "OMOTES_INFLUX_PASSWORD",
            }
        ]
    )

    def bind(label: str, servers: str) -> tuple[float, int, int]:
        settings.OUTSIDE_SERVERS = servers
        esdl_model = upload_esdl_model(project, label, data)
        started = time.perf_counter()
        while bind_next_model():
            pass
        seconds = time.perf_counter() - started
        stand_ins = StandIn.objects.filter(binding__esdl_model=esdl_model)
        reasons = set(stand_ins.values_list("reason", flat=True))
        harness.log(
            f"{label}: {esdl_model.profiles_total} profiles bound in {seconds:.2f} s; "
            f"standard profile used: {reasons or 'never'}"
        )
        return seconds, esdl_model.profiles_total, stand_ins.count()

    try:
        bdew_s, profiles, bdew_stand_ins = bind("bdew", "[]")
        copy_s, _, copy_stand_ins = bind("copy", listed)
        cached_s, _, cached_stand_ins = bind("cached", listed)
    finally:
        project.esdl_models.all().delete()
        user.delete()
        for database in (outside_database, settings.INFLUX_PROFILES_DATABASE):
            influx_client().drop_database(database)
    assert bdew_stand_ins == profiles and copy_stand_ins == cached_stand_ins == 0
    return {
        "assets": assets,
        "profiles": profiles,
        "series": len(FIELDS),
        "points_per_profile": HOURS,
        "bdew_bind_s": round(bdew_s, 2),
        "copy_bind_s": round(copy_s, 2),
        "cached_bind_s": round(cached_s, 2),
        "copy_ms_per_profile": round(1000 * copy_s / profiles),
        "loadavg": [round(x, 2) for x in os.getloadavg()],
        "at": datetime.now().isoformat(timespec="seconds"),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--assets", type=int, default=400, help="assets of the network (400)")
    parser.add_argument("--outside-database", default="bench_outside_source")
    parser.add_argument("--profiles-database", default="bench_outside_profiles")
    args = parser.parse_args()
    if str(harness.ROOT) not in sys.path:
        sys.path.insert(0, str(harness.ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "designtoolkit.settings")
    os.environ["DT_INFLUX_PROFILES_DB"] = args.profiles_database
    os.environ.setdefault("DT_LOG_LEVEL", "WARNING")
    from omotes.influx import DEV_PASSWORD, DEV_USERNAME

    # the "outside" server's credentials: the product's own InfluxDB account, from the environment
    os.environ.setdefault("OMOTES_INFLUX_USERNAME", DEV_USERNAME)
    os.environ.setdefault("OMOTES_INFLUX_PASSWORD", DEV_PASSWORD)
    import django

    django.setup()
    harness.write_result("outside", run(args.assets, args.outside_database))
    return 0


if __name__ == "__main__":
    sys.exit(main())
