"""InfluxDB read credentials (R22) against the real InfluxDB with authentication on.

A user's InfluxDB user reads exactly the job databases that user may see: its READ grants follow
new jobs, deleted jobs and sharing, and everything else answers with an authorisation error.
"""

from __future__ import annotations

import uuid

import pytest
from django.core.management import call_command

from apps.influxaccess.models import InfluxCredential
from apps.influxaccess.services import (
    create_credentials,
    delete_credentials,
    influx_grants,
    sync_read_grants,
)
from apps.jobs.models import Job
from apps.jobs.services import delete_job
from apps.models.models import Project
from apps.results.influx import influx_client
from apps.sharing.signals import access_changed
from omotes.influx import InfluxAuthError, InfluxClient, InfluxSettings, encode_line, rows
from omotes.protocol import job_database
from tests.jobs.builders import make_job

START_S = 1_700_000_000
#: Job databases tests wrote to; dropped afterwards even when their job row is gone.
WRITTEN: set[str] = set()


@pytest.fixture(autouse=True)
def influx_cleanup(db):
    """Drop the InfluxDB users and job databases a test made (InfluxDB is not rolled back)."""
    yield
    admin = influx_client()
    for username in InfluxCredential.objects.values_list("influx_username", flat=True):
        admin.query(f'DROP USER "{username}"')
    for database in WRITTEN | {job.database for job in Job.objects.all()}:
        admin.drop_database(database)
    WRITTEN.clear()


def write_points(job: Job, count: int = 3) -> None:
    """A few points as a worker would write them, with the product's (admin) account."""
    lines = [
        encode_line("HeatingDemand", {"asset_id": "hd1"}, {"heat_demand": 1000.0 + i}, START_S + i)
        for i in range(count)
    ]
    admin = influx_client()
    WRITTEN.add(job.database)
    admin.create_database(job.database)
    admin.write_lines(job.database, lines)


def client_for(username: str, password: str) -> InfluxClient:
    return InfluxClient(
        InfluxSettings(url=influx_client().settings.url, username=username, password=password)
    )


def read_demand(client: InfluxClient, job: Job | str) -> list[float]:
    """The points of ``write_points``, read from a job's database (or a database by name)."""
    database = job if isinstance(job, str) else job.database
    answer = client.query('SELECT "heat_demand" FROM "HeatingDemand"', database=database)
    return [row["heat_demand"] for row in rows(answer)]


def databases_seen(client: InfluxClient) -> set[str]:
    return set(client.list_databases())


@pytest.fixture
def stranger(make_user):
    return make_user()


@pytest.fixture
def two_jobs(owner, stranger) -> tuple[Job, Job]:
    """One job of ``owner``, one of ``stranger``, each with points in its database."""
    mine, theirs = make_job(owner), make_job(stranger)
    write_points(mine)
    write_points(theirs)
    return mine, theirs


def test_credentials_read_the_database_of_a_job_the_user_may_see(owner, two_jobs):
    mine, _ = two_jobs
    username, password = create_credentials(owner)

    assert read_demand(client_for(username, password), mine) == [1000.0, 1001.0, 1002.0]


def test_credentials_get_an_authorisation_error_on_someone_elses_job(owner, two_jobs):
    _, theirs = two_jobs
    username, password = create_credentials(owner)

    with pytest.raises(InfluxAuthError, match="not authorized"):
        read_demand(client_for(username, password), theirs)


def test_show_databases_lists_only_the_granted_job_databases(owner, two_jobs):
    mine, _ = two_jobs
    username, password = create_credentials(owner)

    assert databases_seen(client_for(username, password)) == {mine.database}


def test_credentials_cannot_write_create_or_administer(owner, two_jobs):
    mine, _ = two_jobs
    client = client_for(*create_credentials(owner))

    with pytest.raises(InfluxAuthError):
        client.write_lines(mine.database, [encode_line("HeatingDemand", {}, {"x": 1.0}, START_S)])
    with pytest.raises(InfluxAuthError):
        client.create_database(job_database(uuid.uuid4()))
    with pytest.raises(InfluxAuthError):
        client.query("SHOW USERS")


def test_a_new_job_is_readable_at_once_even_before_its_worker_writes(
    owner, django_capture_on_commit_callbacks
):
    client = client_for(*create_credentials(owner))

    with django_capture_on_commit_callbacks(execute=True):
        job = make_job(owner)

    assert job.database in databases_seen(client)
    write_points(job)
    assert read_demand(client, job) == [1000.0, 1001.0, 1002.0]


def test_a_new_job_of_someone_else_is_not_granted(
    owner, stranger, django_capture_on_commit_callbacks
):
    client = client_for(*create_credentials(owner))

    with django_capture_on_commit_callbacks(execute=True):
        theirs = make_job(stranger)

    assert theirs.database not in databases_seen(client)


def test_deleting_a_job_takes_the_access_away(owner, two_jobs, django_capture_on_commit_callbacks):
    mine, _ = two_jobs
    username, password = create_credentials(owner)
    client = client_for(username, password)
    assert read_demand(client, mine)

    database = mine.database

    with django_capture_on_commit_callbacks(execute=True):
        delete_job(mine)

    with pytest.raises(InfluxAuthError):
        read_demand(client, database)
    assert database not in influx_grants(username)


def test_a_job_row_deleted_without_its_database_leaves_no_grant(
    owner, two_jobs, django_capture_on_commit_callbacks
):
    """A cascade (a model or project deleted) removes job rows without dropping databases."""
    mine, _ = two_jobs
    username, password = create_credentials(owner)
    client = client_for(username, password)
    assert read_demand(client, mine)

    with django_capture_on_commit_callbacks(execute=True):
        Job.objects.filter(pk=mine.pk).delete()

    with pytest.raises(InfluxAuthError):
        read_demand(client, mine)


def test_deleted_credentials_can_no_longer_log_in(owner, two_jobs):
    mine, _ = two_jobs
    username, password = create_credentials(owner)
    client = client_for(username, password)
    assert read_demand(client, mine)

    assert delete_credentials(owner) is True

    with pytest.raises(InfluxAuthError, match="authorization failed"):
        client.list_databases()
    assert not InfluxCredential.objects.filter(user=owner).exists()


def test_deleting_the_account_drops_its_influxdb_user(
    owner, two_jobs, django_capture_on_commit_callbacks
):
    client = client_for(*create_credentials(owner))

    with django_capture_on_commit_callbacks(execute=True):
        owner.delete()

    with pytest.raises(InfluxAuthError, match="authorization failed"):
        client.list_databases()


def test_queries_and_writes_without_credentials_are_refused(two_jobs):
    mine, _ = two_jobs
    anonymous = client_for("", "")

    with pytest.raises(InfluxAuthError):
        anonymous.list_databases()
    with pytest.raises(InfluxAuthError):
        read_demand(anonymous, mine)
    with pytest.raises(InfluxAuthError):
        anonymous.write_lines(mine.database, [encode_line("m", {}, {"x": 1.0}, START_S)])


def test_access_changed_syncs_the_users_it_names(
    owner, stranger, two_jobs, django_capture_on_commit_callbacks
):
    """Until a sharing action sends it: the project changes hands, the signal names the users."""
    _, theirs = two_jobs
    client = client_for(*create_credentials(owner))
    their_project = Project.objects.filter(pk=theirs.esdl_model.project_id)
    their_project.update(owner=owner)
    with pytest.raises(InfluxAuthError):
        read_demand(client, theirs)  # nothing syncs without the signal

    with django_capture_on_commit_callbacks(execute=True):
        access_changed.send(sender=None, users=[owner.pk, stranger.pk])
    assert read_demand(client, theirs)

    their_project.update(owner=stranger)
    with django_capture_on_commit_callbacks(execute=True):
        access_changed.send(sender=None, users=[owner.pk])
    with pytest.raises(InfluxAuthError):
        read_demand(client, theirs)


def test_sharing_a_project_grants_read_and_revoking_takes_it_back(
    owner, stranger, two_jobs, django_capture_on_commit_callbacks
):
    from apps.sharing.services import revoke, share

    _, theirs = two_jobs
    client = client_for(*create_credentials(owner))
    project = theirs.esdl_model.project

    with django_capture_on_commit_callbacks(execute=True):
        share(project, owner, "view")
    assert read_demand(client, theirs)

    with django_capture_on_commit_callbacks(execute=True):
        revoke(project, owner)
    with pytest.raises(InfluxAuthError):
        read_demand(client, theirs)


def test_sync_command_heals_missing_and_stray_grants(owner, stranger, two_jobs):
    """What a missed signal leaves behind: a grant missing, a grant that should be gone."""
    mine, theirs = two_jobs
    username, password = create_credentials(owner)
    admin = influx_client()
    admin.query(f'REVOKE ALL PRIVILEGES ON "{mine.database}" FROM "{username}"')
    admin.query(f'GRANT READ ON "{theirs.database}" TO "{username}"')
    client = client_for(username, password)
    assert databases_seen(client) == {theirs.database}

    call_command("sync_influx_grants", "--quiet")

    assert databases_seen(client) == {mine.database}


def test_sync_replaces_a_write_grant_by_read(owner, two_jobs):
    mine, _ = two_jobs
    username, _ = create_credentials(owner)
    influx_client().query(f'GRANT ALL PRIVILEGES ON "{mine.database}" TO "{username}"')

    changes = sync_read_grants(owner)

    assert changes.granted == [mine.database]
    assert influx_grants(username) == {mine.database: "READ"}


def test_a_second_create_is_refused_and_keeps_the_first_credentials(owner, two_jobs):
    from apps.influxaccess.services import CredentialsExist

    username, password = create_credentials(owner)

    with pytest.raises(CredentialsExist):
        create_credentials(owner)
    assert InfluxCredential.objects.get(user=owner).influx_username == username
    assert read_demand(client_for(username, password), two_jobs[0])


def test_revoking_an_editor_takes_read_on_the_jobs_they_ran_on_the_model(
    owner, make_user, django_capture_on_commit_callbacks
):
    """The job is the model owner's; its submitter read it only through their edit grant."""
    from apps.sharing.services import revoke, share

    editor = make_user()
    esdl_model = make_job(owner).esdl_model
    client = client_for(*create_credentials(editor))
    with django_capture_on_commit_callbacks(execute=True):
        share(esdl_model, editor, "edit")
        editors_job = Job.objects.create(
            owner=editor, esdl_model=esdl_model, workflow="w", esdl="", time_limit_s=60
        )
    write_points(editors_job)
    assert read_demand(client, editors_job) == [1000.0, 1001.0, 1002.0]

    with django_capture_on_commit_callbacks(execute=True):
        revoke(esdl_model, editor)

    with pytest.raises(InfluxAuthError):
        read_demand(client, editors_job)
    assert databases_seen(client) == set()
