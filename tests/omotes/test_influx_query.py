"""Query answers come as MessagePack from InfluxDB and read the same as its JSON answers."""

from __future__ import annotations

import uuid

import pytest

from omotes.influx import InfluxClient, InfluxError, encode_line


@pytest.fixture
def database():
    client = InfluxClient()
    name = f"test_query_{uuid.uuid4().hex[:12]}"
    client.create_database(name)
    yield name
    client.drop_database(name)


def test_a_messagepack_answer_reads_as_the_json_answer(database):
    client = InfluxClient()
    lines = [
        encode_line("Pipe", {"asset_id": f"p{i % 3}"}, {"heat_loss": 1.5 * i, "v": 2.0}, 100 + i)
        for i in range(50)
    ]
    client.write_lines(database, lines)
    influxql = 'SELECT "heat_loss", "v" FROM "Pipe" GROUP BY "asset_id"; SELECT COUNT(*) FROM x'
    as_json = client._session.get(
        f"{client.settings.url}/query",
        params={"q": influxql, "db": database, "epoch": "s"},
        headers={"Accept": "application/json"},
    ).json()["results"]

    answer = client.query(influxql, database=database)

    assert [r.get("series", []) for r in answer] == [r.get("series", []) for r in as_json]
    assert answer[0]["series"][0]["values"][1] == [103, 4.5, 2.0]


def test_an_error_in_a_messagepack_answer_keeps_its_text(database):
    with pytest.raises(InfluxError, match="error parsing query"):
        InfluxClient().query("SELECT FROM", database=database)
