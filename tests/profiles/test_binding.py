"""An upload answers before its input profiles are bound; the profile binder binds them in the
background, once per reference even when a binder dies, and a job waits for them (409).

The first tests call the binder's steps directly, as its loop does; the last ones run the real
processes (``stack``).
"""

from __future__ import annotations

import signal
from datetime import timedelta

import pytest
from django.utils import timezone

from apps.models.models import EsdlModel
from apps.profiles.binding import ClaimLost, bind_model_profiles, bind_next_model, claim_next_model
from apps.profiles.models import InputProfile
from apps.profiles.services import forget_unbound_profiles
from omotes.esdl_generator import network_text
from tests.conftest import wait_for
from tests.corpus import generated_network
from tests.models.esdl_samples import network
from tests.models.test_upload_api import upload

Status = EsdlModel.ProfilesStatus


@pytest.fixture
def pending(api, project) -> EsdlModel:
    """A generated network with three input profile references, just uploaded."""
    response = upload(api, project, "network", network_text(10).encode())
    assert response.status_code == 201, response.content
    return EsdlModel.objects.get(pk=response.json()["id"])


@pytest.mark.django_db
def test_upload_answers_with_the_profiles_pending_and_the_binder_binds_each(client, owner, pending):
    assert (pending.profiles_status, pending.profiles_done, pending.profiles_total) == (
        Status.PENDING,
        0,
        3,
    )
    assert not pending.profile_bindings.exists()
    client.force_login(owner)
    assert "Waiting to be bound, 0 of 3" in client.get(f"/models/{pending.pk}/").content.decode()

    assert bind_next_model() is True

    pending.refresh_from_db()
    assert (pending.profiles_status, pending.profiles_done) == (Status.READY, 3)
    assert sorted(pending.profile_bindings.values_list("esdl_profile_id", flat=True)) == sorted(
        r["id"] for r in pending.summary["input_profiles"]
    )
    assert bind_next_model() is False


@pytest.mark.django_db
def test_a_model_without_input_profiles_is_ready_at_once(api, project):
    response = upload(api, project, "no_profiles", network(profile="").encode())

    assert response.json()["profiles_status"] == "ready"


@pytest.mark.django_db
def test_a_model_is_claimed_by_one_binder_only(pending):
    assert claim_next_model() is not None

    assert claim_next_model() is None


@pytest.mark.django_db
def test_a_binder_gone_quiet_loses_its_model_to_the_next(pending, settings):
    quiet = claim_next_model()
    later = timezone.now() + timedelta(seconds=settings.PROFILE_BINDING_STALE_S + 1)

    taken_over = claim_next_model(now=later)

    assert taken_over is not None and taken_over.esdl_model.pk == pending.pk
    with pytest.raises(ClaimLost):
        quiet.update(profiles_done=1)


@pytest.mark.django_db
def test_a_binder_told_to_stop_hands_its_model_back(pending):
    bind_model_profiles(claim_next_model(), stop=lambda: True)

    pending.refresh_from_db()
    assert pending.profiles_status == Status.PENDING
    assert claim_next_model() is not None


@pytest.mark.django_db
def test_a_resumed_model_binds_only_the_references_left(pending):
    calls = iter([False, True])
    bind_model_profiles(claim_next_model(), stop=lambda: next(calls, True))  # binds one, stops

    bind_model_profiles(claim_next_model())

    pending.refresh_from_db()
    assert (pending.profiles_status, pending.profiles_done) == (Status.READY, 3)
    assert pending.profile_bindings.count() == 3
    assert InputProfile.objects.count() == 3


@pytest.mark.django_db
def test_a_model_that_cannot_be_bound_fails_with_the_reason(pending):
    EsdlModel.objects.filter(pk=pending.pk).update(
        esdl=pending.esdl.replace(
            'endDate="2019-12-31T23:00:00.000000+0000"', 'endDate="2018-06-01T00:00:00+0000"', 1
        )
    )  # stored before the model's rules refused a profile ending before it starts

    bind_next_model()

    pending.refresh_from_db()
    assert pending.profiles_status == Status.FAILED
    assert pending.profiles_error == "end must not be before start"


def post_job(api, model_id: int):
    week = {"start": "2019-01-01T00:00:00+00:00", "end": "2019-01-07T23:00:00+00:00"}
    return api.post(
        "/api/jobs/",
        {"model": model_id, "workflow": "simulator", "params": week},
        format="json",
    )


@pytest.mark.timeout(300)
def test_a_job_waits_for_the_binder_process_with_409(api, project, simulator_worker, stack):
    stack.kill("profiles", signal.SIGTERM)
    model = upload(api, project, "network", generated_network()).json()

    refused = post_job(api, model["id"])

    assert refused.status_code == 409, refused.content
    assert refused.json()["detail"] == (
        "The input profiles of network are still being bound (0 of 3); a job can start once they "
        "are ready."
    )
    stack.start_profile_binder()
    wait_for(
        lambda: api.get(f"/api/models/{model['id']}/").json()["profiles_status"] == "ready",
        60,
        "the profile binder to bind the model",
    )
    job = post_job(api, model["id"])
    assert job.status_code == 201, job.content
    wait_for(
        lambda: api.get(f"/api/jobs/{job.json()['id']}/").json()["status"] == "succeeded",
        180,
        "the job to succeed",
    )


@pytest.mark.timeout(300)
def test_a_binder_killed_midway_is_resumed_once_per_reference(
    api, project, stack, transactional_db
):
    text = network_text(400)  # ~100 profiles: seconds of binding to kill the binder in
    model = upload(api, project, "network-400", text.encode()).json()
    total = model["profiles_total"]
    assert total > 50

    def halfway() -> bool:
        done = api.get(f"/api/models/{model['id']}/").json()["profiles_done"]
        return 2 <= done < total

    wait_for(halfway, 60, "the binder to be halfway", interval=0.05)
    stack.kill("profiles", signal.SIGKILL)
    stack.start_profile_binder()

    wait_for(
        lambda: api.get(f"/api/models/{model['id']}/").json()["profiles_status"] == "ready",
        120,
        "another binder to finish the model",
    )
    esdl_model = EsdlModel.objects.get(pk=model["id"])
    bound = list(esdl_model.profile_bindings.values_list("esdl_profile_id", flat=True))
    assert len(bound) == len(set(bound)) == total == esdl_model.profiles_done
    forget_unbound_profiles()  # what the kill left between a profile and its binding
    assert InputProfile.objects.count() == total


@pytest.mark.timeout(300)
def test_an_upload_wakes_the_idle_binder_at_once(api, project, stack, transactional_db):
    stack.kill("profiles", signal.SIGTERM)
    stack.start("profiles", "manage.py", "run_profile_binder", "--interval", "600")
    try:
        for name in ("first", "second"):  # the second finds the binder idle after the first
            model = upload(api, project, name, network_text(10).encode()).json()
            wait_for(
                lambda model=model: (
                    api.get(f"/api/models/{model['id']}/").json()["profiles_status"] == "ready"
                ),
                120,
                f"the binder to bind the {name} model long before its next look",
            )
    finally:
        stack.kill("profiles", signal.SIGTERM)
        stack.start_profile_binder()
