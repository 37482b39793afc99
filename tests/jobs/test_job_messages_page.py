"""The job page shows each message next to the asset it is about (name and type from the ESDL
the job ran on), as the optimiser's infeasibility messages need: which demand is short."""

from __future__ import annotations

import re

import esdl

from apps.jobs.models import Job
from omotes.esdl_generator import producer_choice_network
from tests.jobs.builders import make_job


def _row(html: str, asset_id: str) -> str:
    match = re.search(rf'<tr data-asset-id="{re.escape(asset_id)}">(.*?)</tr>', html, re.S)
    assert match, f"no message row for {asset_id!r}"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match[1])).strip()


def test_messages_are_shown_with_the_asset_they_are_about(client, owner):
    handler = producer_choice_network()
    demand = next(
        a for a in handler.energy_system.eAllContents() if isinstance(a, esdl.HeatingDemand)
    )
    job = make_job(owner, "optimizer")
    Job.objects.filter(pk=job.pk).update(
        status=Job.Status.FAILED,
        esdl=handler.to_string(),
        error="The optimiser cannot meet all heat demand with what the model allows",
        messages=[
            {
                "severity": "error",
                "message": "12 GJ short.",
                "esdl_object_id": demand.id,
                "count": 1,
            },
            {
                "severity": "warning",
                "message": "Gone.",
                "esdl_object_id": "not-in-the-model",
                "count": 3,
            },
            {
                "severity": "info",
                "message": "About the whole model.",
                "esdl_object_id": None,
                "count": 1,
            },
        ],
    )
    client.force_login(owner)

    html = client.get(f"/jobs/{job.pk}/").content.decode()

    assert _row(html, demand.id) == f"error {demand.name} HeatingDemand 12 GJ short. 1"
    assert _row(html, "not-in-the-model") == "warning not-in-the-model Gone. 3"
    assert _row(html, "") == "info the model About the whole model. 1"


def test_a_job_without_messages_has_an_empty_messages_section(client, owner):
    job = make_job(owner)
    client.force_login(owner)

    html = client.get(f"/jobs/{job.pk}/").content.decode()

    assert '<section id="job-messages">' in html
    assert "Messages from the model" not in html
