"""The hostile-input kit (tests/data/hostile, also sent by bench/hostile.py) through the upload API.

Each file is answered as ``expected.json`` says: the valid ones (odd encodings included) are
stored, every hostile or broken one is refused with a 4xx that says why, and a refusal stores
nothing, neither a model nor an input profile.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from apps.models.models import EsdlModel
from apps.profiles.models import InputProfile
from tests.models.test_upload_api import upload

KIT = Path(__file__).resolve().parents[1] / "data" / "hostile"
EXPECTED = json.loads((KIT / "expected.json").read_text())


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_hostile_kit_file_is_answered_as_expected(api, project, name):
    before = (EsdlModel.objects.count(), InputProfile.objects.count())

    response = upload(api, project, Path(name).stem, (KIT / name).read_bytes())

    if EXPECTED[name]["expect"] == "accepted":
        assert response.status_code == 201, response.content
    else:
        assert 400 <= response.status_code < 500, (EXPECTED[name]["why"], response.content)
        assert response.json()["detail"].strip(), response.content
        assert (EsdlModel.objects.count(), InputProfile.objects.count()) == before


def test_kit_names_a_reason_for_every_file():
    files = {path.name for path in KIT.glob("*.esdl")}
    assert files == set(EXPECTED)
    assert all(
        entry["why"] and entry["expect"] in ("accepted", "refused") for entry in EXPECTED.values()
    )
