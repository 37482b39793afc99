"""Which listed server an ESDL's host and port name, however the ESDL writes them."""

from __future__ import annotations

import pytest

from apps.outside.fetch import OutsideRefused, server_at


@pytest.fixture
def listed(allow) -> None:
    allow(
        {"name": "warmingup", "url": "https://profiles.warmingup.info"},
        {"name": "influx", "url": "http://influx.example.org:8086"},
    )


@pytest.mark.parametrize(
    "host,port,name",
    [
        ("profiles.warmingup.info", 443, "warmingup"),
        ("https://profiles.warmingup.info", 0, "warmingup"),
        ("https://profiles.warmingup.info", 443, "warmingup"),
        ("Profiles.WarmingUp.info.", 443, "warmingup"),
        ("profiles.warmingup.info:443", 0, "warmingup"),
        ("influx.example.org", 0, "influx"),
        ("http://influx.example.org:8086", 0, "influx"),
    ],
)
def test_the_forms_an_esdl_uses_name_the_listed_server(listed, host, port, name):
    assert server_at(host, port).name == name


@pytest.mark.parametrize(
    "host,port,reason",
    [
        ("profiles.warmingup.info", 8086, "profiles.warmingup.info:8086 is not on the operator's"),
        ("user:secret@profiles.warmingup.info", 443, "is not a server name"),
        ("https://profiles.warmingup.info/elsewhere", 0, "is not a server name"),
        ("influx.example.org:http", 0, "is not a server name"),
        ("", 0, "is not a server name"),
    ],
)
def test_other_hosts_are_refused(listed, host, port, reason):
    with pytest.raises(OutsideRefused, match=reason):
        server_at(host, port)


def test_an_invalid_list_is_refused_with_its_setting(settings):
    settings.OUTSIDE_SERVERS = '[{"url": "ftp://x"}]'

    with pytest.raises(OutsideRefused, match=r"DT_OUTSIDE_SERVERS\) is invalid: url 'ftp://x'"):
        server_at("x", 21)
