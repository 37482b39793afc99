"""Back up and restore this installation's InfluxDB databases, and only those (R8).

One InfluxDB may serve several installations (a shared development server): a backup holds the
databases of this one's jobs (those PostgreSQL knows) and its input profiles, each in a folder
of its own, and a restore replaces exactly the databases in the backup. Both use InfluxDB's
portable format through ``influxd backup|restore`` and its RPC port (``DT_INFLUX_BACKUP_HOST``,
default 127.0.0.1:8088). Any failure stops with an error: a restore never skips a database.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from apps.jobs.models import Job
from apps.results.influx import influx_client
from omotes.protocol import job_database


def installation_databases() -> list[str]:
    """This installation's databases that hold data: its profiles and its jobs'.

    A database without shards (made empty for a job that has not written yet, so its reader
    could be granted it) is left out: InfluxDB 1.x refuses to restore one ("DB metadata not
    changed"), and the restore makes it again when it puts the grants back.
    """
    ours = {settings.INFLUX_PROFILES_DATABASE}
    ours.update(job_database(pk) for pk in Job.objects.values_list("pk", flat=True))
    with_shards = {
        series["name"]
        for result in influx_client().query("SHOW SHARDS")
        for series in result.get("series", [])
        if series.get("values")
    }
    return sorted(ours & with_shards)


def influxd(*args: str) -> None:
    host = os.environ.get("DT_INFLUX_BACKUP_HOST", "127.0.0.1:8088")
    done = subprocess.run(
        ["influxd", *args[:1], "-portable", "-host", host, *args[1:]],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise CommandError(f"influxd {' '.join(args)} failed: {done.stderr.strip()[-2000:]}")


class Command(BaseCommand):
    help = "backup DIR: this installation's InfluxDB databases into DIR; restore DIR: back."

    def add_arguments(self, parser) -> None:
        parser.add_argument("action", choices=["backup", "restore"])
        parser.add_argument("directory", type=Path)

    def handle(self, *args, action: str, directory: Path, **options) -> None:
        if action == "backup":
            databases = installation_databases()
            for database in databases:
                influxd("backup", "-db", database, str(directory / database))
        else:
            if not directory.is_dir():
                raise CommandError(f"{directory} holds no InfluxDB backup")
            databases = sorted(p.name for p in directory.iterdir() if p.is_dir())
            client = influx_client()
            for database in databases:
                # The backup's copy wins: InfluxDB refuses to restore over an existing database.
                client.drop_database(database)
                influxd("restore", "-db", database, str(directory / database))
        self.stdout.write(f"{action}: {len(databases)} InfluxDB databases")
