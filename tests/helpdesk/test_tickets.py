"""Support tickets: raised from a failed job with its context, answered by staff who may open
the linked job (recorded), each side told by the bell and by mail (a real SMTP server)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from apps.helpdesk.models import Attachment, SupportAccess, Ticket
from apps.notifications.models import Notification
from apps.notifications.services import send_due_mail
from apps.sharing.services import revoke, share
from tests.helpdesk.builders import ERROR, LOG_TAIL, failed_job, make_staff

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_ticket_flow_user_to_staff_to_user_with_bell_and_mail(owner, make_user, smtp):
    staff = make_staff(make_user)
    job = failed_job(owner)
    user = logged_in(owner)

    # One click from the failed job's page: a form about that job, its context shown.
    job_page = user.get(job.get_absolute_url()).content.decode()
    assert f'href="/helpdesk/new/?job={job.pk}"' in job_page
    form = user.get(f"/helpdesk/new/?job={job.pk}").content.decode()
    assert 'value="Job no-worker-offers-this on m failed"' in form
    assert "Solver diverged at time step 17 &lt;unstable loop&gt;" in form
    assert "pressure &lt; 0 in Pipe_3" in form

    response = user.post(
        f"/helpdesk/new/?job={job.pk}&page=/jobs/{job.pk}/",
        {
            "subject": "My job failed <b>again</b>",
            "body": "Why? <script>alert(1)</script>",
            "attachment": SimpleUploadedFile("screen.png", PNG, "image/png"),
        },
    )
    assert response.status_code == 302, response.content[:500]
    ticket = Ticket.objects.get()
    assert response["Location"] == ticket.get_absolute_url()
    assert ticket.job == job and ticket.page == f"/jobs/{job.pk}/"
    context = ticket.context
    assert context["error"] == ERROR and context["log_tail"] == LOG_TAIL
    assert context["workflow"] == "no-worker-offers-this" and context["workflow_version"] == "1.2.3"
    assert context["params"]["timestep_s"] == 3600 and "Django" in context["versions"]
    assert any("error" in event for event in context["events"])
    assert Attachment.objects.get().name == "screen.png"

    # Staff hear of it (bell and mail) and find it in the queue.
    assert Notification.objects.filter(user=staff, kind="ticket").count() == 1
    support = logged_in(staff)
    queue = support.get("/helpdesk/").content.decode()
    assert "My job failed &lt;b&gt;again&lt;/b&gt;" in queue and "<b>again" not in queue
    # The job is not shared with staff: only through the ticket, and that is recorded.
    assert support.get(job.get_absolute_url()).status_code == 404
    opened = support.get(f"{job.get_absolute_url()}?ticket={ticket.pk}")
    assert opened.status_code == 200 and "Solver diverged" in opened.content.decode()
    access = SupportAccess.objects.get()
    assert (access.staff, access.kind, access.object_id) == (staff, "jobs.Job", str(job.pk))
    # The linked object only: not its model, not through another number.
    assert support.get(f"/models/{job.esdl_model_id}/?ticket={ticket.pk}").status_code == 404
    for number in (ticket.pk + 1, "²", "9" * 30, "-1", "x"):
        assert support.get(f"{job.get_absolute_url()}?ticket={number}").status_code == 404

    assert (
        support.post(ticket.get_absolute_url() + "reply/", {"body": "Use 900 s."}).status_code
        == 302
    )
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.WAITING
    told = Notification.objects.get(user=owner, kind="ticket")
    assert told.text == "Support replied: My job failed <b>again</b>"

    # The user sees the conversation, escaped, and who opened their job.
    page = user.get(ticket.get_absolute_url()).content.decode()
    assert "Use 900 s." in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert(1)" not in page
    assert 'id="support-accesses"' in page and staff.email in page
    assert (
        user.post(ticket.get_absolute_url() + "reply/", {"body": "Thanks, it ran."}).status_code
        == 302
    )
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.OPEN
    assert Notification.objects.filter(user=staff, kind="ticket").count() == 2

    support.post(
        ticket.get_absolute_url() + "manage/", {"status": "resolved", "assignee": staff.pk}
    )
    ticket.refresh_from_db()
    assert (ticket.status, ticket.assignee) == (Ticket.Status.RESOLVED, staff)
    # A resolved ticket opens nothing any more.
    assert support.get(f"{job.get_absolute_url()}?ticket={ticket.pk}").status_code == 404

    assert send_due_mail() == 4
    to_staff = smtp.mails(staff.email)
    assert [m.subject for m in to_staff] == [
        f"[Design Toolkit] New ticket from {owner.email}: #{ticket.pk} My job failed <b>again</b>",
        f"[Design Toolkit] {owner.email} replied: #{ticket.pk} My job failed <b>again</b>",
    ]
    to_user = smtp.mails(owner.email)
    assert "Use 900 s." in to_user[0].body
    assert f"/helpdesk/{ticket.pk}/" in to_user[0].body
    assert to_user[1].subject.startswith("[Design Toolkit] Ticket resolved")


@pytest.mark.django_db
def test_only_the_author_their_team_and_staff_see_a_ticket(owner, make_user):
    job = failed_job(owner)
    stranger, teammate = make_user(), make_user()
    team = Group.objects.create(name="Heat team")
    team.user_set.add(owner, teammate)
    author = logged_in(owner)
    author.post(f"/helpdesk/new/?job={job.pk}", {"subject": "S", "body": "B", "team": team.pk})
    ticket = Ticket.objects.get()
    Attachment.objects.create(
        message=ticket.messages.get(), name="a.txt", content_type="text/plain", size=1, data=b"a"
    )
    attachment = f"/helpdesk/attachments/{Attachment.objects.get().pk}/"

    outsider = logged_in(stranger)
    for url in (ticket.get_absolute_url(), attachment):
        assert outsider.get(url).status_code == 404
    assert outsider.post(ticket.get_absolute_url() + "reply/", {"body": "x"}).status_code == 404
    assert "S" not in [t.subject for t in outsider.get("/helpdesk/").context["tickets"]]
    # A stranger cannot link (or learn of) someone else's job or model.
    assert outsider.get(f"/helpdesk/new/?job={job.pk}").status_code == 404
    assert outsider.get(f"/helpdesk/new/?model={job.esdl_model_id}").status_code == 404
    assert outsider.get("/helpdesk/new/?job=not-a-uuid").status_code == 404
    # Nor open it with a ticket number: that is for staff.
    assert outsider.get(f"{job.get_absolute_url()}?ticket={ticket.pk}").status_code == 404

    mate = logged_in(teammate)
    assert mate.get(ticket.get_absolute_url()).status_code == 200
    assert mate.get(attachment).status_code == 200
    assert mate.post(ticket.get_absolute_url() + "reply/", {"body": "x"}).status_code == 403
    assert (
        mate.post(ticket.get_absolute_url() + "manage/", {"status": "resolved"}).status_code == 403
    )
    # The author stops showing it to the team, and shows it again.
    assert (
        author.post(
            ticket.get_absolute_url() + "team/", {"team": team.pk, "action": "stop"}
        ).status_code
        == 302
    )
    assert mate.get(ticket.get_absolute_url()).status_code == 404
    author.post(ticket.get_absolute_url() + "team/", {"team": team.pk, "action": "share"})
    assert mate.get(ticket.get_absolute_url()).status_code == 200
    # Only to a team the author is in.
    other = Group.objects.create(name="Other team")
    other.user_set.add(stranger)
    assert author.post(ticket.get_absolute_url() + "team/", {"team": other.pk}).status_code == 400
    team.user_set.remove(teammate)
    assert mate.get(ticket.get_absolute_url()).status_code == 404


@pytest.mark.django_db
def test_a_model_ticket_lets_staff_open_that_model_only(owner, make_user):
    staff = make_staff(make_user)
    job = failed_job(owner)
    logged_in(owner).post(
        f"/helpdesk/new/?model={job.esdl_model_id}", {"subject": "S", "body": "B"}
    )
    ticket = Ticket.objects.get()
    assert ticket.esdl_model_id == job.esdl_model_id and ticket.context["model"] == "m"
    support = logged_in(staff)
    assert support.get(f"/models/{job.esdl_model_id}/?ticket={ticket.pk}").status_code == 200
    assert support.get(f"{job.get_absolute_url()}?ticket={ticket.pk}").status_code == 404
    assert SupportAccess.objects.get().kind == "models.EsdlModel"


@pytest.mark.django_db
def test_a_user_who_lost_access_cannot_link_the_job(owner, make_user):
    job = failed_job(owner)
    viewer = make_user()
    share(job.esdl_model, viewer, "view")
    client = logged_in(viewer)
    assert client.get(f"/helpdesk/new/?job={job.pk}").status_code == 200
    revoke(job.esdl_model, viewer)
    assert (
        client.post(f"/helpdesk/new/?job={job.pk}", {"subject": "S", "body": "B"}).status_code
        == 404
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    "name,data,reason",
    [
        ("big.txt", b"a" * 2000, "at most 1 KiB"),
        ("tool.exe", b"MZ\x90\x00", "“.exe” files are not accepted"),
        ("fake.png", b"<svg onload=alert(1)>", "fake.png is not a PNG file"),
        ("notes.txt", b"\xff\xfe\x00binary", "not a UTF-8 text file"),
        ("noextension", b"abc", "needs a file name with an extension"),
    ],
)
def test_attachments_are_size_and_type_limited(owner, settings, name, data, reason):
    settings.HELPDESK_ATTACHMENT_MAX_BYTES = 1024
    client = logged_in(owner)
    response = client.post(
        "/helpdesk/new/",
        {"subject": "S", "body": "B", "attachment": SimpleUploadedFile(name, data, "image/png")},
    )
    assert response.status_code == 400
    assert reason in response.content.decode()
    assert not Ticket.objects.exists()


@pytest.mark.django_db
def test_an_attachment_comes_back_as_a_download_never_rendered(owner):
    client = logged_in(owner)
    client.post(
        "/helpdesk/new/",
        {"subject": "S", "body": "B", "attachment": SimpleUploadedFile("log.txt", b"<html>hi")},
    )
    found = Attachment.objects.get()
    response = client.get(f"/helpdesk/attachments/{found.pk}/")
    assert response.status_code == 200 and response.content == b"<html>hi"
    assert response["Content-Type"] == "text/plain"
    assert response["Content-Disposition"] == f'attachment; filename="{found.pk}-log.txt"'
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.django_db
def test_staff_read_a_ticket_jobs_api_only_through_the_ticket(owner, make_user):
    """The job page's chart and details come from the API: staff answering a ticket read them
    with the same ``?ticket=`` the page took, and nothing else (a write stays refused)."""
    staff = make_staff(make_user)
    job = failed_job(owner)
    logged_in(owner).post(f"/helpdesk/new/?job={job.pk}", {"subject": "S", "body": "B"})
    ticket = Ticket.objects.get()
    support = logged_in(staff)
    url = f"/api/jobs/{job.pk}/"
    assert support.get(url).status_code == 404
    assert support.get(f"{url}series/").status_code == 404
    assert support.get(f"{url}?ticket={ticket.pk}").json()["id"] == str(job.pk)
    assert support.get(f"{url}series/?ticket={ticket.pk}").json() == []
    assert support.post(f"{url}cancel/?ticket={ticket.pk}").status_code == 404
    assert SupportAccess.objects.filter(staff=staff, object_id=str(job.pk)).count() == 2
    # Not a stranger, not after the ticket is resolved.
    assert logged_in(make_user()).get(f"{url}?ticket={ticket.pk}").status_code == 404
    Ticket.objects.filter(pk=ticket.pk).update(status=Ticket.Status.RESOLVED)
    assert support.get(f"{url}?ticket={ticket.pk}").status_code == 404
