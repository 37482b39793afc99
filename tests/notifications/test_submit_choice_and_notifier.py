"""The per-job e-mail choice at submit (form and API), and the notifier process with a real
worker's job: SMTP away while the job ends, the mail goes out once it is back."""

from __future__ import annotations

import pytest

from apps.jobs.models import Job
from apps.notifications.models import JobEmailChoice, OutgoingMail
from omotes.workflows.simulator import workflow as simulator
from tests.conftest import Stack, bind_profiles, wait_for
from tests.corpus import generated_network
from tests.jobs.worker_events import announce
from tests.models.test_upload_api import upload

WEEK = {"start": "2019-01-01T00:00:00+00:00", "end": "2019-01-07T23:00:00+00:00"}


@pytest.mark.django_db
def test_the_choice_is_recorded_from_the_api_and_the_form(api, project, client, owner):
    announce("worker-a", simulator)
    model_id = upload(api, project, "network", generated_network(profiles=False)).json()["id"]

    def submit(**extra) -> Job:
        announce("worker-a", simulator)  # alive: tests forget a worker silent for 6 s
        response = api.post(
            "/api/jobs/",
            {"model": model_id, "workflow": "simulator", "params": WEEK, **extra},
            format="json",
        )
        assert response.status_code == 201, response.content
        return Job.objects.get(pk=response.json()["id"])

    assert JobEmailChoice.objects.get(job=submit(notify_email=False)).email is False
    assert JobEmailChoice.objects.get(job=submit(notify_email=True)).email is True
    assert not JobEmailChoice.objects.filter(job=submit()).exists()  # the account's default
    assert (
        api.post(
            "/api/jobs/",
            {"model": model_id, "workflow": "simulator", "notify_email": "perhaps"},
            format="json",
        ).status_code
        == 400
    )

    client.force_login(owner)
    announce("worker-a", simulator)
    page = client.get(f"/models/{model_id}/").content.decode()
    assert 'name="notify_email"' in page
    response = client.post(
        f"/jobs/submit/{model_id}/",
        {
            "workflow": "simulator",
            "notify_email": "no",
            **{f"param__simulator__{k}": v for k, v in WEEK.items()},
        },
    )
    assert response.status_code == 302
    assert JobEmailChoice.objects.get(job=Job.objects.first()).email is False


def test_smtp_down_while_a_real_job_ends_the_notifier_mails_it_when_smtp_is_back(
    api, project, owner, simulator_worker, stack, smtp_down, tmp_path
):
    notifier = Stack(
        {
            **stack.env,
            "DT_EMAIL_HOST": "127.0.0.1",
            "DT_EMAIL_PORT": str(smtp_down.port),
            "DT_EMAIL_TIMEOUT_S": "3",
            "DT_NOTIFY_BATCH_WINDOW_S": "1",
        },
        tmp_path,
    )
    notifier.start("notifier", "manage.py", "run_notifier", "--interval", "0.5")
    try:
        model_id = upload(api, project, "net", generated_network()).json()["id"]
        bind_profiles(model_id)
        response = api.post(
            "/api/jobs/",
            {"model": model_id, "workflow": "simulator", "params": WEEK, "notify_email": True},
            format="json",
        )
        assert response.status_code == 201, response.content
        job_id = response.json()["id"]
        wait_for(lambda: Job.objects.get(pk=job_id).status in Job.TERMINAL, 300, "the job to end")
        mail = wait_for(
            lambda: OutgoingMail.objects.filter(attempts__gte=1).first(), 60, "a failed attempt"
        )
        assert mail.sent_at is None and mail.last_error
        assert Job.objects.get(pk=job_id).status == Job.Status.SUCCEEDED

        smtp_down.start()
        caught = smtp_down.wait_for_mail(owner.email, timeout=90)
        assert caught.subject == "[Design Toolkit] Job simulator on net succeeded"
        assert f"/jobs/{job_id}/" in caught.body
        assert OutgoingMail.objects.get().sent_at is not None
    finally:
        notifier.stop_all()
