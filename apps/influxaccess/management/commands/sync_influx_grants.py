"""Make every credential holder's InfluxDB READ grants equal the jobs they may see.

Grants follow sharing changes and new or deleted jobs by signals; this heals whatever a missed
signal or an unreachable InfluxDB left behind. Run it from cron, e.g. every 10 minutes::

    */10 * * * *  cd /srv/designtoolkit && .venv/bin/python manage.py sync_influx_grants --quiet

and after a restore (scripts/restore.sh does): a restored job database comes back without grants.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from apps.influxaccess.services import sync_everyone


class Command(BaseCommand):
    help = "Sync every user's InfluxDB READ grants with the job databases they may see."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--forget-missing",
            action="store_true",
            help="Delete credentials whose InfluxDB user is gone (e.g. after a restore onto a "
            "new server), so their owners can create new ones.",
        )
        parser.add_argument("--quiet", action="store_true", help="Print only problems.")

    def handle(self, *args, forget_missing: bool, quiet: bool, **options) -> None:
        report = sync_everyone(forget_missing=forget_missing)
        if not quiet:
            self.stdout.write(
                f"{report.users} user(s): {report.granted} grant(s) added, {report.revoked} revoked"
            )
        if report.missing:
            verb = "forgotten" if forget_missing else "left as they are (--forget-missing)"
            self.stderr.write(
                f"InfluxDB has no user for {len(report.missing)} credential(s), {verb}: "
                + ", ".join(report.missing)
            )
        if report.failed:
            raise CommandError(f"grants not synced for: {', '.join(report.failed)}")
