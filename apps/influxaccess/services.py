"""InfluxDB read credentials and their grants (R22).

Each person may have one InfluxDB user, without admin rights, whose READ grants equal the job
databases that person may see (``apps.sharing.access.visible_to``). :func:`sync_read_grants`
derives the grants from that queryset every time, never from the event that triggered it, so a
missed or repeated call cannot leave them wrong for long; ``manage.py sync_influx_grants`` runs it
for everyone as a safety net.

What InfluxDB 1.6.7 does, which the code below relies on (tests/influxaccess checks it):

- ``GRANT`` on a database that does not exist fails ("database not found"), so the job database
  is created first (``CREATE DATABASE`` is a no-op when it exists; workers create it again on
  their first write).
- ``DROP DATABASE`` removes every grant on it, and creating it again brings none back: deleting a
  job (which drops its database) takes access away with no extra step.
- A non-admin user's ``SHOW DATABASES`` lists only the databases it holds a grant on.
- ``REVOKE READ`` leaves a "NO PRIVILEGES" entry in ``SHOW GRANTS``; ``REVOKE`` on a database that
  is gone fails with "database not found"; ``GRANT READ`` replaces a WRITE or ALL grant.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction

from apps.influxaccess.models import InfluxCredential
from apps.jobs.models import Job
from apps.results.influx import influx_client
from apps.sharing.access import visible_to
from omotes.influx import InfluxError, quote_identifier, quote_string
from omotes.protocol import job_database

logger = logging.getLogger(__name__)

#: Statements sent in one request when granting many databases at once.
GRANT_BATCH = 100


class CredentialsExist(Exception):
    """The user already has InfluxDB credentials; delete them to get a new password."""


class CredentialMissing(Exception):
    """InfluxDB no longer knows the user of a credential (e.g. restored onto a new server)."""


@dataclass
class GrantChanges:
    granted: list[str] = field(default_factory=list)
    revoked: list[str] = field(default_factory=list)


def create_credentials(user) -> tuple[str, str]:
    """Create the user's InfluxDB user with READ grants on the jobs they may see.

    Returns ``(username, password)``; the password is not stored and cannot be shown again.
    """
    if InfluxCredential.objects.filter(user=user).exists():
        raise CredentialsExist("You already have InfluxDB credentials.")
    username = f"dt{user.pk}_{secrets.token_hex(4)}"
    password = secrets.token_urlsafe(24)
    client = influx_client()
    try:
        with transaction.atomic():
            InfluxCredential.objects.create(user=user, influx_username=username)
            client.query(
                f"CREATE USER {quote_identifier(username)} WITH PASSWORD {quote_string(password)}"
            )
    except IntegrityError as exc:  # a second request for the same user won the race
        raise CredentialsExist("You already have InfluxDB credentials.") from exc
    logger.info("influx credentials created", extra={"user_id": user.pk, "influx_user": username})
    try:
        sync_read_grants(user)
    except InfluxError:
        # The user exists and works; its grants follow with the next sync.
        logger.exception("influx grants not synced", extra={"user_id": user.pk})
    return username, password


def delete_credentials(user) -> bool:
    """Drop the user's InfluxDB user; False when they had no credentials."""
    credential = InfluxCredential.objects.filter(user=user).first()
    if credential is None:
        return False
    drop_influx_user(credential.influx_username)
    credential.delete()
    logger.info("influx credentials deleted", extra={"user_id": user.pk})
    return True


def drop_influx_user(username: str) -> None:
    """DROP USER, where an already missing user is fine."""
    try:
        influx_client().query(f"DROP USER {quote_identifier(username)}")
    except InfluxError as exc:
        if "user not found" not in str(exc):
            raise


def readable_databases(user) -> set[str]:
    """The job databases the user may read: exactly those of the jobs they may see."""
    jobs = visible_to(user, Job).exclude(record__results_deleted_at__isnull=False)
    return {job_database(pk) for pk in jobs.values_list("pk", flat=True)}


def influx_grants(username: str) -> dict[str, str]:
    """Database -> privilege as InfluxDB has it: READ, WRITE, ALL PRIVILEGES or NO PRIVILEGES."""
    try:
        results = influx_client().query(f"SHOW GRANTS FOR {quote_identifier(username)}")
    except InfluxError as exc:
        if "user not found" in str(exc):
            raise CredentialMissing(f"InfluxDB has no user {username}") from exc
        raise
    grants: dict[str, str] = {}
    for result in results:
        for series in result.get("series", []):
            for database, privilege in series.get("values", []):
                grants[database] = privilege
    return grants


def sync_read_grants(user) -> GrantChanges:
    """Make the user's InfluxDB grants equal READ on exactly the job databases they may see.

    Syncs of one user run one after the other (a row lock on the credential), each reading the
    visible jobs after the previous one finished, so the last sync leaves the latest state.
    """
    changes = GrantChanges()
    with transaction.atomic():
        credential = InfluxCredential.objects.select_for_update().filter(user=user).first()
        if credential is None:
            return changes
        username = credential.influx_username
        wanted = readable_databases(user)
        current = influx_grants(username)
        changes.granted = sorted(db for db in wanted if current.get(db) != "READ")
        changes.revoked = sorted(
            db
            for db, privilege in current.items()
            if db not in wanted and privilege != "NO PRIVILEGES"
        )
        _grant_read(username, changes.granted)
        for database in changes.revoked:
            _revoke(username, database)
    if changes.granted or changes.revoked:
        logger.info(
            "influx grants synced",
            extra={
                "user_id": user.pk,
                "influx_user": username,
                "granted": len(changes.granted),
                "revoked": len(changes.revoked),
            },
        )
    return changes


def _grant_read(username: str, databases: list[str]) -> None:
    """CREATE DATABASE then GRANT READ (a grant on a missing database fails), in batches."""
    client = influx_client()
    for start in range(0, len(databases), GRANT_BATCH):
        statements = []
        for database in databases[start : start + GRANT_BATCH]:
            name = quote_identifier(database)
            statements.append(f"CREATE DATABASE {name}")
            statements.append(f"GRANT READ ON {name} TO {quote_identifier(username)}")
        client.query("; ".join(statements))


def _revoke(username: str, database: str) -> None:
    try:
        influx_client().query(
            f"REVOKE ALL PRIVILEGES ON {quote_identifier(database)} "
            f"FROM {quote_identifier(username)}"
        )
    except InfluxError as exc:
        if "database not found" not in str(exc):  # dropped meanwhile: its grants went with it
            raise


def sync_users(user_ids) -> None:
    """Sync the users among ``user_ids`` that have credentials."""
    for credential in InfluxCredential.objects.filter(user_id__in=list(user_ids)).select_related(
        "user"
    ):
        sync_read_grants(credential.user)


def sync_viewers_of_job(job_id) -> None:
    """Sync every credential holder who may see the job (a new job: grant its database).

    Who may see a job is decided only by ``apps.sharing.access``, so this asks it per credential
    holder rather than deriving the inverse here. Credential holders are few (an opt-in for
    outside tools): one EXISTS query each per new job.
    """
    for credential in InfluxCredential.objects.select_related("user"):
        if visible_to(credential.user, Job).filter(pk=job_id).exists():
            sync_read_grants(credential.user)


def revoke_database_everywhere(database: str) -> None:
    """Take every credential's privileges on ``database`` away (a job row deleted).

    The normal delete path drops the database first, which removes its grants in InfluxDB: the
    first REVOKE then answers "database not found" and there is nothing left to do.
    """
    client = influx_client()
    for username in InfluxCredential.objects.values_list("influx_username", flat=True):
        try:
            client.query(
                f"REVOKE ALL PRIVILEGES ON {quote_identifier(database)} "
                f"FROM {quote_identifier(username)}"
            )
        except InfluxError as exc:
            if "database not found" in str(exc):
                return
            if "user not found" not in str(exc):
                raise


@dataclass
class SyncReport:
    users: int = 0
    granted: int = 0
    revoked: int = 0
    missing: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


def sync_everyone(forget_missing: bool = False) -> SyncReport:
    """Sync every credential holder; with ``forget_missing`` drop credentials InfluxDB lost."""
    report = SyncReport()
    for credential in InfluxCredential.objects.select_related("user").order_by("pk"):
        report.users += 1
        try:
            changes = sync_read_grants(credential.user)
        except CredentialMissing:
            report.missing.append(credential.influx_username)
            if forget_missing:
                credential.delete()
            continue
        except InfluxError as exc:
            logger.error("influx grants not synced: %s", exc, extra={"user_id": credential.user_id})
            report.failed.append(credential.influx_username)
            continue
        report.granted += len(changes.granted)
        report.revoked += len(changes.revoked)
    return report
