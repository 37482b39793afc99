"""Every route, as every kind of user: the expected status, or the test fails.

The routes come from the URL configuration itself, so a new page or API route is covered without
editing this file, and a route with no entry in ``MATRIX`` (or a rule for a third-party group of
routes) fails until someone decides who may reach it.

The world: the owner's project P holds model M with a finished job J. ``viewer`` was granted view
and ``editor`` edit on P; ``team`` is a member of a team granted view on M only; ``stranger`` has
an account and no grant; ``anonymous`` is not logged in. The owner's support ticket X (attachment
A) about J is shared with the team; N is a notification of the owner's.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from apps.accounts.services import create_api_token
from apps.helpdesk.models import Attachment
from apps.helpdesk.services import raise_ticket
from apps.influxaccess.models import InfluxCredential
from apps.influxaccess.services import delete_credentials
from apps.jobs.models import Job
from apps.models.models import EsdlModel, Project
from apps.notifications.models import Notification
from apps.notifications.services import notify
from apps.profiles.models import InputProfile, ProfileBinding
from apps.sharing.services import share

ROLES = ("owner", "team", "viewer", "editor", "stranger", "anonymous")
LOGIN = "login"  # a page that sends an anonymous visitor to the login form


def walk(patterns, prefix: str = "", namespace: str = ""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace or ""
            yield from walk(pattern.url_patterns, prefix + str(pattern.pattern), inner or namespace)
        elif isinstance(pattern, URLPattern):
            name = pattern.name or ""
            yield (
                (f"{namespace}:{name}" if namespace and name else name),
                prefix + str(pattern.pattern),
            )


def all_routes() -> dict[str, str]:
    """Route name → pattern; format-suffix twins share their name and view."""
    routes: dict[str, str] = {}
    for name, route in walk(get_resolver().url_patterns):
        routes.setdefault(name or route, route)
    return routes


def statuses(owner, team, viewer, editor, stranger, anonymous) -> dict[str, object]:
    return dict(zip(ROLES, (owner, team, viewer, editor, stranger, anonymous), strict=True))


def everyone(status, anonymous) -> dict[str, object]:
    return statuses(status, status, status, status, status, anonymous)


# Who may see what: the owner and the grantees of P see P, M and J; the team sees M and J only.
SEE_PROJECT = statuses(200, 404, 200, 200, 404, LOGIN)
SEE_MODEL = statuses(200, 200, 200, 200, 404, LOGIN)
API_SEE_PROJECT = statuses(200, 404, 200, 200, 404, 401)
API_SEE_MODEL = statuses(200, 200, 200, 200, 404, 401)


@dataclass
class Check:
    method: str
    expect: dict[str, object]
    kwargs: dict[str, str] = field(default_factory=dict)  # "P", "M", "J", "B" name objects
    data: dict = field(default_factory=dict)
    json: bool = False


MATRIX: dict[str, list[Check]] = {
    # The dashboard: each user's own view of what they may see.
    "home": [Check("get", everyone(200, LOGIN))],
    "projects:list": [Check("get", everyone(200, LOGIN))],
    "projects:detail": [
        Check("get", SEE_PROJECT, {"pk": "P"}),
        # Upload with no file: a form error (400) for those who may upload, 403 for viewers.
        Check("post", statuses(400, 404, 403, 400, 404, LOGIN), {"pk": "P"}),
    ],
    "models:detail": [Check("get", SEE_MODEL, {"pk": "M"})],
    "jobs:list": [Check("get", everyone(200, LOGIN))],
    "jobs:detail": [Check("get", SEE_MODEL, {"pk": "J"})],
    "jobs:output-esdl": [Check("get", SEE_MODEL, {"pk": "J"})],
    "jobs:cancel": [Check("post", statuses(302, 403, 403, 302, 404, LOGIN), {"pk": "J"})],
    # Renaming a job is a change: editors of its model and the owner (then back to the job page).
    "jobs:rename": [
        Check("post", statuses(302, 403, 403, 302, 404, LOGIN), {"pk": "J"}, {"name": "Run 1"})
    ],
    "jobs:delete": [Check("post", statuses(302, 403, 403, 403, 404, LOGIN), {"pk": "J"})],
    # Saving a job's output as a variation changes its model: editors (J has no output: the
    # job page again with the reason, 302).
    "jobs:save-variation": [Check("post", statuses(302, 403, 403, 302, 404, LOGIN), {"pk": "J"})],
    # Service counts only, no one's data; scraped from an allowed network (this host by default,
    # as the test client is) or with DT_METRICS_TOKEN.
    "metrics": [Check("get", everyone(200, 200))],
    # A refused submit (nothing chosen) comes back as the model page with the errors: 400.
    "jobs:submit": [Check("post", statuses(400, 403, 403, 400, 404, LOGIN), {"model_pk": "M"})],
    # No file: the model page with the reason (400) for those who may replace a profile.
    "profiles:binding-csv": [Check("post", statuses(400, 403, 403, 400, 404, LOGIN), {"pk": "B"})],
    "sharing:share": [
        Check("post", statuses(400, 403, 403, 403, 404, LOGIN), {"kind": "model", "pk": "M"}),
        Check("post", statuses(400, 404, 403, 403, 404, LOGIN), {"kind": "project", "pk": "P"}),
        Check("post", statuses(404, 404, 404, 404, 404, LOGIN), {"kind": "user", "pk": "1"}),
    ],
    "sharing:teams": [
        Check("get", everyone(200, LOGIN)),
        Check("post", everyone(400, LOGIN)),  # a team needs a name
    ],
    # Only members see a team; only its managers (none in this world) change it.
    "sharing:team": [
        Check("get", statuses(404, 200, 404, 404, 404, LOGIN), {"pk": "T"}),
        Check("post", statuses(404, 403, 404, 404, 404, LOGIN), {"pk": "T"}),
    ],
    "sharing:team-delete": [
        Check("get", statuses(404, 403, 404, 404, 404, LOGIN), {"pk": "T"}),
        Check("post", statuses(404, 403, 404, 404, 404, LOGIN), {"pk": "T"}),
    ],
    "sharing:revoke": [
        Check("post", statuses(400, 403, 403, 403, 404, LOGIN), {"kind": "job", "pk": "J"}),
    ],
    "accounts:account": [Check("get", everyone(200, LOGIN))],
    "accounts:create-token": [Check("post", everyone(400, LOGIN))],  # a token needs a name
    # Only the owner's own token K can be revoked by the owner; for anyone else it does not exist.
    "accounts:revoke-token": [
        Check("post", statuses(302, 404, 404, 404, 404, LOGIN), data={"digest": "K"})
    ],
    # InfluxDB read credentials are each user's own: everyone may create and delete theirs.
    "influxaccess:access": [Check("get", everyone(200, LOGIN))],
    "influxaccess:create": [Check("post", everyone(200, LOGIN))],
    "influxaccess:delete": [Check("post", everyone(302, LOGIN))],
    "comparison:compare": [Check("get", SEE_PROJECT, {"pk": "P"})],
    "models:variation-mark": [
        Check("post", statuses(302, 403, 403, 302, 404, LOGIN), {"pk": "M"}),
    ],
    "models:variation-copy": [
        Check("post", statuses(302, 403, 403, 302, 404, LOGIN), {"pk": "M"}),
    ],
    "models:variation-upload": [
        Check("post", statuses(302, 403, 403, 302, 404, LOGIN), {"pk": "M"}),
    ],
    "api-compare-options": [Check("get", API_SEE_MODEL, data={"jobs": "J"})],
    "api-compare-kpis": [Check("get", API_SEE_MODEL, data={"jobs": "J"})],
    "api-compare-differences": [Check("get", API_SEE_MODEL, data={"jobs": "J"})],
    "api-compare-series": [
        Check("get", everyone(400, 401)),  # no jobs named
        Check(
            "get",
            statuses(404, 404, 404, 404, 404, 401),
            data={"jobs": "J", "asset_id": "a", "field": "f"},
        ),
    ],
    "api-root": [Check("get", everyone(200, 401))],
    "api-schema": [Check("get", everyone(200, 401))],
    "api-docs": [Check("get", everyone(200, 401))],
    "api-workflows": [Check("get", everyone(200, 401))],
    "project-list": [
        Check("get", everyone(200, 401)),
        Check("post", everyone(201, 401), data={"name": "New"}, json=True),
    ],
    "project-detail": [Check("get", API_SEE_PROJECT, {"pk": "P"})],
    "project-grants": [Check("get", API_SEE_PROJECT, {"pk": "P"})],
    "project-share": [Check("post", statuses(400, 404, 403, 403, 404, 401), {"pk": "P"})],
    "project-revoke": [Check("post", statuses(400, 404, 403, 403, 404, 401), {"pk": "P"})],
    "esdlmodel-list": [Check("get", everyone(200, 401)), Check("post", everyone(400, 401))],
    "esdlmodel-detail": [Check("get", API_SEE_MODEL, {"pk": "M"})],
    "esdlmodel-grants": [Check("get", API_SEE_MODEL, {"pk": "M"})],
    "esdlmodel-share": [Check("post", statuses(400, 403, 403, 403, 404, 401), {"pk": "M"})],
    "esdlmodel-revoke": [Check("post", statuses(400, 403, 403, 403, 404, 401), {"pk": "M"})],
    "job-list": [Check("get", everyone(200, 401)), Check("post", everyone(400, 401))],
    "job-estimate": [Check("post", everyone(400, 401))],
    "job-detail": [
        Check("get", API_SEE_MODEL, {"pk": "J"}),
        Check("delete", statuses(204, 403, 403, 403, 404, 401), {"pk": "J"}),
        Check(
            "patch",
            statuses(200, 403, 403, 200, 404, 401),
            {"pk": "J"},
            {"name": "Run 1"},
            json=True,
        ),
    ],
    "job-cancel": [Check("post", statuses(409, 403, 403, 409, 404, 401), {"pk": "J"})],
    "job-series": [Check("get", API_SEE_MODEL, {"pk": "J"})],
    "job-series-data": [Check("get", statuses(400, 400, 400, 400, 404, 401), {"pk": "J"})],
    "job-series-total": [Check("get", statuses(400, 400, 400, 400, 404, 401), {"pk": "J"})],
    "job-grants": [Check("get", API_SEE_MODEL, {"pk": "J"})],
    "job-share": [Check("post", statuses(400, 403, 403, 403, 404, 401), {"pk": "J"})],
    "job-revoke": [Check("post", statuses(400, 403, 403, 403, 404, 401), {"pk": "J"})],
    # Support tickets: the owner's ticket X about J, shared with the team; staff (none here) see
    # all tickets. Anyone may raise one, linked only to a job or model they may see.
    "helpdesk:list": [Check("get", everyone(200, LOGIN))],
    "helpdesk:new": [
        Check("get", everyone(200, LOGIN)),
        Check("get", SEE_MODEL, data={"job": "J"}),
        Check("get", SEE_MODEL, data={"model": "M"}),
        Check("post", everyone(400, LOGIN)),  # a ticket needs a subject and a text
    ],
    "helpdesk:detail": [Check("get", statuses(200, 200, 404, 404, 404, LOGIN), {"pk": "X"})],
    # No text: the form again (400) for the author; the team may read but not reply.
    "helpdesk:reply": [Check("post", statuses(400, 403, 404, 404, 404, LOGIN), {"pk": "X"})],
    "helpdesk:manage": [Check("post", statuses(403, 403, 404, 404, 404, LOGIN), {"pk": "X"})],
    # Only the author chooses teams (none named: 400); team members may not.
    "helpdesk:team": [Check("post", statuses(400, 403, 404, 404, 404, LOGIN), {"pk": "X"})],
    "helpdesk:attachment": [Check("get", statuses(200, 200, 404, 404, 404, LOGIN), {"pk": "A"})],
    # Notifications are each user's own: N is the owner's.
    "notifications:list": [Check("get", everyone(200, LOGIN))],
    "notifications:open": [Check("get", statuses(302, 404, 404, 404, 404, LOGIN), {"pk": "N"})],
    "notifications:read-all": [Check("post", everyone(302, LOGIN))],
    "notifications:preferences": [Check("post", everyone(302, LOGIN))],
    # Fetching a model's outside profiles again changes the model: editors only (nothing to
    # fetch in this world, so it answers at once).
    "outside:retry": [Check("post", statuses(302, 403, 403, 302, 404, LOGIN), {"pk": "M"})],
    "api-retry-outside": [Check("post", statuses(202, 403, 403, 202, 404, 401), {"pk": "M"})],
    "api-job-inputs": [Check("get", API_SEE_MODEL, {"pk": "J"})],
    # The network map: M and J have an empty ESDL here (an empty network with the reason, 200).
    "api-model-network": [Check("get", API_SEE_MODEL, {"pk": "M"})],
    "api-job-network": [Check("get", API_SEE_MODEL, {"pk": "J"})],
    # No quantity named: 400; J wrote no results, so any quantity is 404 even for its owner.
    "api-job-network-values": [
        Check("get", statuses(400, 400, 400, 400, 404, 401), {"pk": "J"}),
        Check("get", statuses(404, 404, 404, 404, 404, 401), {"pk": "J"}, {"quantity": "q"}),
    ],
    "api-job-asset-results": [
        Check("get", statuses(400, 400, 400, 400, 404, 401), {"pk": "J"}),
        Check("get", API_SEE_MODEL, {"pk": "J"}, {"asset_id": "a"}),
    ],
}

# Third-party groups of routes, decided as a group.
# The admin is for staff only: nobody in this world is staff, so all go to the admin login.
ADMIN = [Check("get", everyone(302, 302))]
# Its login page checks no password: logged-in non-staff are refused, others go to allauth's login.
ADMIN_LOGIN = [Check("get", everyone(403, LOGIN))]
# allauth's pages are for signing in, out and up and managing one's own account: never an error,
# never another user's data (they only ever act on the logged-in user).
ALLAUTH_OK = (200, 301, 302, 400, 401, 404, 405)
ALLAUTH = [Check("get", everyone(ALLAUTH_OK, ALLAUTH_OK))]
# The health check shows service status only, the same for everyone (503 when a service is down).
HEALTH = [Check("get", everyone((200, 500, 503), (200, 500, 503)))]


def entry_for(name: str, route: str) -> list[Check] | None:
    if name in MATRIX:
        return MATRIX[name]
    if name == "admin:login":
        return ADMIN_LOGIN
    if name.startswith("admin:") or route.startswith("admin/"):
        return ADMIN
    if route.startswith("accounts/"):
        return ALLAUTH
    if name in ("health", "health-sources"):
        return HEALTH
    return None


@pytest.fixture
def world(db) -> dict[str, object]:
    users = {
        role: get_user_model().objects.create(username=f"{role}@x.org", email=f"{role}@x.org")
        for role in ROLES[:-1]
    }
    project = Project.objects.create(owner=users["owner"], name="P")
    model = EsdlModel.objects.create(project=project, name="M", esdl="", size_bytes=0)
    job = Job.objects.create(
        owner=users["owner"],
        esdl_model=model,
        workflow="simulator",
        esdl="",
        time_limit_s=60,
        status=Job.Status.SUCCEEDED,
        output_esdl="<esdl/>",
    )
    now = datetime(2025, 1, 1, tzinfo=UTC)
    profile = InputProfile.objects.create(
        owner=users["owner"], name="p", source="standard", start=now, end=now, points=1, peak_w=1
    )
    binding = ProfileBinding.objects.create(
        esdl_model=model, esdl_profile_id="x", original="x", profile=profile
    )
    team = Group.objects.create(name="Team")
    team.user_set.add(users["team"])
    share(model, team, "view")
    share(project, users["viewer"], "view")
    share(project, users["editor"], "edit")
    token, _ = create_api_token(users["owner"], "K", None)
    ticket = raise_ticket(users["owner"], "Help", "It failed", job=job, team=team)
    attachment = Attachment.objects.create(
        message=ticket.messages.get(), name="a.txt", content_type="text/plain", size=1, data=b"a"
    )
    note = notify(users["owner"], Notification.Kind.JOB, "Job ended", job.get_absolute_url())
    return {
        "users": users,
        "P": project.pk,
        "M": model.pk,
        "J": job.pk,
        "B": binding.pk,
        "T": team.pk,
        "K": token.digest,
        "X": ticket.pk,
        "A": attachment.pk,
        "N": note.pk,
    }


def drop_influx_users() -> None:
    """InfluxDB users live outside the transaction a role's requests are rolled back in."""
    for credential in InfluxCredential.objects.select_related("user"):
        delete_credentials(credential.user)


def url_for(name: str, route: str, check: Check, world) -> str:
    if name in MATRIX:
        kwargs = {key: str(world.get(value, value)) for key, value in check.kwargs.items()}
        return reverse(name, kwargs=kwargs)
    # Third-party routes: every parameter filled with a harmless value, regex syntax dropped.
    path = re.sub(r"<[^>]+>", "1", re.sub(r"\(\?P<[^>]+>[^)]*\)", "1", route))
    return "/" + re.sub(r"[\^$?*+()|\\]", "", path)


ROUTES = all_routes()


@contextmanager
def rolled_back() -> Iterator[None]:
    """Undo whatever one request changed (the test itself runs inside a transaction)."""
    savepoint = transaction.savepoint()
    try:
        yield
    finally:
        transaction.savepoint_rollback(savepoint)


@pytest.mark.parametrize("name", sorted(ROUTES))
def test_route_as_every_role(name: str, world) -> None:
    route = ROUTES[name]
    checks = entry_for(name, route)
    assert checks is not None, f"route {name!r} ({route}) has no entry in the authorisation matrix"
    for check in checks:
        for role in ROLES:
            # A fresh world per role: a successful delete or cancel must not change what the
            # next role meets.
            with rolled_back():
                client = Client()
                if role != "anonymous":
                    client.force_login(world["users"][role])
                url = url_for(name, route, check, world)
                data = {key: str(world.get(value, value)) for key, value in check.data.items()}
                send = getattr(client, check.method)
                if check.json:
                    response = send(url, data, content_type="application/json")
                else:
                    response = send(url, data)
                drop_influx_users()
                expected = check.expect[role]
                where = f"{check.method.upper()} {url} as {role}"
                if expected == LOGIN:
                    assert response.status_code == 302, f"{where}: {response.status_code}"
                    assert response["Location"].startswith("/accounts/login/"), where
                elif isinstance(expected, tuple):
                    assert response.status_code in expected, f"{where}: {response.status_code}"
                else:
                    assert response.status_code == expected, (
                        f"{where}: {response.status_code}, expected {expected}: "
                        f"{response.content[:300]!r}"
                    )
