"""Loading key-figure versions: good files in both formats, bad files refused whole with their
line numbers, immutability, one default, and the shipped dataset as the default version."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from apps.keyfigures.figures import KeyFigureFileError
from apps.keyfigures.models import KeyFigure, KeyFigureVersion
from apps.keyfigures.services import default_version, load_version, make_default

pytestmark = pytest.mark.django_db

GOOD_CSV = b"""# a comment line
key,value,unit,source,valid_from,valid_to
heat_pump.investment_eur_per_kw,800,EUR/kW,"DEA, Technology Data 40",2026-01-01,2026-12-31
pipe.investment_eur_per_m.DN200,1355.3,EUR/m,EDR Logstor S1,,
finance.discount_rate,4,%,assumption,,
"""


def test_shipped_dataset_is_the_default_version_with_sources():
    version = default_version()
    assert version is not None and version.name == "keyfigures-2026"
    figures = version.as_dict()
    assert figures["pipe.investment_eur_per_m.DN200"] == pytest.approx(1355.3)
    assert figures["emission_factor.natural_gas"] == pytest.approx(202)
    assert all(f.source for f in version.figures.all())


def test_csv_version_loads_with_units_sources_and_validity():
    version = load_version(GOOD_CSV, "test-csv", filename="kf.csv")
    figure = version.figures.get(key="heat_pump.investment_eur_per_kw")
    assert (figure.value, figure.unit, figure.source) == (800, "EUR/kW", "DEA, Technology Data 40")
    assert figure.valid_from.isoformat() == "2026-01-01" and figure.line == 3
    assert not version.is_default


def test_json_version_loads_and_can_become_the_default():
    data = json.dumps(
        {"figures": [{"key": "gas_heater.lifetime", "value": 25, "unit": "yr", "source": "DEA"}]}
    ).encode()
    version = load_version(data, "test-json", filename="kf.json", default=True)
    assert default_version() == version
    assert KeyFigureVersion.objects.filter(is_default=True).count() == 1
    older = KeyFigureVersion.objects.get(name="keyfigures-2026")
    assert older.figures.count() > 50  # old versions stay readable
    make_default(older)
    assert default_version() == older


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (
            b"key,value,unit,source\nheat_pump.investment_eur_per_kw,800,EUR/MW,DEA\n",
            ["line 2: unknown unit 'EUR/MW'"],
        ),
        (b"key,value,source\nheat_pump.lifetime,25,DEA\n", ["line 1: missing column 'unit'"]),
        (
            b"key,value,unit,source\nheat_pump.lifetime,25,yr,a\n\nheat_pump.lifetime,20,yr,b\n",
            ["line 4: duplicate key heat_pump.lifetime (first on line 2)"],
        ),
        (
            b"key,value,unit,source\npipe.investment_eur_per_m.DN100,-5,EUR/m,x\n",
            ["line 2: pipe.investment_eur_per_m.DN100: negative value -5"],
        ),
        (
            b"key,value,unit,source\nheat_pump.lifetime,25,yr,a\nheat_pump.efficiency,3,%,b\n"
            b"heat_pmp.lifetime,2,yr,c\nheat_pump.lifetime_x,abc,yr,d\n",
            [
                "line 3: heat_pump.efficiency takes -, not %",
                "line 4: unknown key 'heat_pmp.lifetime'",
                "line 5: value 'abc' is not a number",
            ],
        ),
        (
            b'[{"key": "heat_pump.lifetime", "value": 25, "unit": "yr"}]',
            ["line 1: missing column 'source'"],
        ),
    ],
    ids=["unknown-unit", "missing-column", "duplicate-key", "negative-cost", "several", "json"],
)
def test_bad_file_is_refused_with_line_numbers_and_changes_nothing(content, expected):
    before = (KeyFigureVersion.objects.count(), KeyFigure.objects.count())
    with pytest.raises(KeyFigureFileError) as refused:
        load_version(content, "bad", filename="bad.json" if content[:1] == b"[" else "bad.csv")
    for part in expected:
        assert part in str(refused.value)
    assert (KeyFigureVersion.objects.count(), KeyFigure.objects.count()) == before


def test_a_loaded_version_is_immutable():
    version = load_version(GOOD_CSV, "frozen")
    figure = version.figures.first()
    figure.value = 1.0
    with pytest.raises(ValidationError):
        figure.save()
    with pytest.raises(KeyFigureFileError, match="exists"):
        load_version(GOOD_CSV, "frozen")
    assert version.figures.get(pk=figure.pk).value != 1.0


def test_management_command_loads_and_refuses(tmp_path, capsys):
    good = tmp_path / "kf.csv"
    good.write_bytes(GOOD_CSV)
    call_command("load_key_figures", str(good), "--name", "cmd", "--default")
    assert "3 figures (now the default)" in capsys.readouterr().out
    assert default_version().name == "cmd"
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"key,value,unit,source\nheat_pump.lifetime,25,years,x\n")
    with pytest.raises(CommandError, match="line 2: unknown unit 'years'"):
        call_command("load_key_figures", str(bad), "--name", "cmd2")
    assert not KeyFigureVersion.objects.filter(name="cmd2").exists()


def test_admin_upload_loads_a_version_and_shows_errors(admin_client, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    url = "/admin/keyfigures/keyfigureversion/add/"
    bad = SimpleUploadedFile("bad.csv", b"key,value,unit,source\nheat_pump.lifetime,-1,yr,x\n")
    response = admin_client.post(url, {"name": "adm", "file": bad})
    assert response.status_code == 200
    assert "line 2: heat_pump.lifetime: negative value -1" in response.content.decode()
    good = SimpleUploadedFile("kf.csv", GOOD_CSV)
    response = admin_client.post(url, {"name": "adm", "file": good, "make_default": "on"})
    assert response.status_code == 302
    assert default_version().name == "adm" and default_version().figures.count() == 3
