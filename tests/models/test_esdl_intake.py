"""Tests for apps.models.esdl_intake: hostile uploads are refused, real models are read.

Pure Python: run with ``pytest tests/models/test_esdl_intake.py -p no:django``.
"""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from apps.models import esdl_intake as intake
from apps.models.esdl_document import EsdlDocument
from apps.models.esdl_intake import EsdlRejected
from tests.corpus import corpus_bytes
from tests.models.esdl_samples import minimal_esdl, model_text, no_io


def _refused(data: bytes) -> str:
    with pytest.raises(EsdlRejected) as excinfo:
        EsdlDocument.from_upload(data)
    return str(excinfo.value)


# --- real models ---------------------------------------------------------------------------


def test_check_keeps_the_decoded_text() -> None:
    data = corpus_bytes("test1.esdl")
    assert EsdlDocument.from_upload(data).to_text() == data.decode("utf-8")


def test_check_accepts_real_model_without_io() -> None:
    data = model_text("cluster1merged_pipes").encode("utf-8")
    with no_io() as calls:
        EsdlDocument.from_upload(data)
    assert calls == []


# --- hostile or broken uploads -------------------------------------------------------------


def test_empty_file_is_refused() -> None:
    assert "empty" in _refused(b"")


def test_whitespace_only_file_is_refused() -> None:
    assert "empty" in _refused(b"   \n")


def test_oversized_file_is_refused_before_parsing() -> None:
    with pytest.raises(EsdlRejected, match="limit is"):
        EsdlDocument.from_upload(minimal_esdl(), max_bytes=100)


def test_undeclared_non_utf8_file_is_refused() -> None:
    data = minimal_esdl('<asset xsi:type="esdl:Pipe" id="p1" name="Caf\xe9"/>').decode()
    assert "not UTF-8" in _refused(data.encode("latin-1"))


NAMES = "Caf\xe9 Stra\xdfe \xc5rhus"  # one name per area, as the file spells them


def _with_names(declaration: str) -> str:
    areas = "".join(
        f'<area xsi:type="esdl:Area" id="a{i}" name="{n}"/>' for i, n in enumerate(NAMES.split())
    )
    return (
        minimal_esdl(areas)
        .decode("utf-8")
        .replace('<?xml version="1.0" encoding="UTF-8"?>', declaration, 1)
    )


def _area_names(document: EsdlDocument) -> str:
    return " ".join(a.name for a in document.energy_system.instance[0].area.area)


@pytest.mark.parametrize(
    "declaration,encoding",
    [
        ('<?xml version="1.0" encoding="ISO-8859-1"?>', "latin-1"),
        ("<?xml version='1.0' encoding='latin1'?>", "latin-1"),
        ('<?xml version="1.0" encoding="UTF-16"?>', "utf-16"),  # with a byte order mark
        ('<?xml version="1.0" encoding="UTF-16"?>', "utf-16-be"),
        ('<?xml version="1.0"?>', "utf-8-sig"),
    ],
    ids=["iso-8859-1", "latin1", "utf-16", "utf-16-be-bom", "utf-8-bom"],
)
def test_other_encodings_of_xml_are_read_with_exact_names(declaration: str, encoding: str) -> None:
    data = _with_names(declaration).encode(encoding)
    if encoding == "utf-16-be":
        data = codecs.BOM_UTF16_BE + data

    document = EsdlDocument.from_upload(data)

    assert _area_names(document) == NAMES
    # stored as text declared UTF-8, which reads back the same (a kept ISO-8859-1 is refused)
    assert _area_names(EsdlDocument(document.to_text())) == NAMES


def test_an_encoding_we_do_not_read_is_refused_naming_it() -> None:
    data = minimal_esdl().replace(b'encoding="UTF-8"', b'encoding="Shift_JIS"')
    assert "declares encoding 'Shift_JIS'" in _refused(data)


def test_a_dtd_in_utf16_is_still_refused_without_expanding() -> None:
    lol = (
        '<?xml version="1.0" encoding="UTF-16"?>\n'
        '<!DOCTYPE es [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
        '<esdl:EnergySystem xmlns:esdl="http://www.tno.nl/esdl" name="&xxe;"/>\n'
    )
    with no_io() as calls:
        assert "DTD/entities" in _refused(lol.encode("utf-16"))
    assert calls == []


def test_not_xml_is_refused() -> None:
    assert "Not a well-formed XML file" in _refused(b"name,value\nx,1\n")


def test_truncated_xml_is_refused_with_line() -> None:
    message = _refused(minimal_esdl()[:-30])
    assert "line" in message


def test_other_root_element_is_refused() -> None:
    message = _refused(b'<?xml version="1.0"?><foo><bar/></foo>')
    assert message.startswith("Not an ESDL file: root element is <foo>")


def test_entity_expansion_dtd_is_refused() -> None:
    lol = (
        '<?xml version="1.0"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n'
        ' <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">\n'
        ' <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">\n]>\n'
        '<esdl:EnergySystem xmlns:esdl="http://www.tno.nl/esdl" name="&lol2;"/>\n'
    )
    with no_io() as calls:
        assert "DTD/entities" in _refused(lol.encode())
    assert calls == []


def test_external_entity_is_refused_without_reading_the_file() -> None:
    xxe = (
        '<?xml version="1.0"?>\n<!DOCTYPE es [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
        '<esdl:EnergySystem xmlns:esdl="http://www.tno.nl/esdl" name="&xxe;"/>\n'
    )
    with no_io() as calls:
        assert "DTD/entities" in _refused(xxe.encode())
    assert calls == []


def _with_href(href: str) -> bytes:
    return (
        model_text("test1")
        .replace(
            '<profileQuantityAndUnit xsi:type="esdl:QuantityAndUnitReference" '
            'reference="e9405fc8-5e57-4df5-8584-4babee7cdf1b"/>',
            f'<profileQuantityAndUnit href="{href}"/>',
            1,
        )
        .encode("utf-8")
    )


def test_href_to_local_file_is_refused_without_reading_it(tmp_path: Path) -> None:
    # pyesdl alone opens this valid ESDL while loading and splices it into the model
    other = tmp_path / "other.esdl"
    other.write_text(model_text("test1"), encoding="utf-8")
    data = _with_href(f"{other}#//")
    with no_io() as calls:
        assert "refers to another document" in _refused(data)
    assert calls == []


def test_href_file_uri_is_refused_without_reading() -> None:
    data = _with_href("file:///etc/passwd#//x")
    with no_io() as calls:
        assert "refers to another document" in _refused(data)
    assert calls == []


def test_href_http_uri_is_refused_without_connecting() -> None:
    data = _with_href("http://example.org/e.esdl#//x")
    with no_io() as calls:
        assert "refers to another document" in _refused(data)
    assert calls == []


def test_reference_attribute_into_other_document_is_refused() -> None:
    data = model_text("test1").replace('carrier="', 'carrier="http://example.org/x.esdl#', 1)
    with no_io() as calls:
        assert "refers to another document" in _refused(data.encode("utf-8"))
    assert calls == []


def test_same_document_href_fragment_is_allowed() -> None:
    # the global unit of the model, referred to as an in-file fragment
    data = _with_href("#e9405fc8-5e57-4df5-8584-4babee7cdf1b")
    with no_io() as calls:
        EsdlDocument.from_upload(data)
    assert calls == []


def test_schema_location_is_refused() -> None:
    data = minimal_esdl().replace(
        b'name="Minimal"',
        b'name="Minimal" xsi:schemaLocation="http://www.tno.nl/esdl http://example.org/x.ecore"',
    )
    assert "schemaLocation" in _refused(data)


def test_processing_instruction_is_refused() -> None:
    data = minimal_esdl(prolog='<?xml-stylesheet href="http://example.org/x.xsl"?>')
    assert "processing instruction" in _refused(data)


def test_xinclude_is_refused() -> None:
    body = '<xi:include xmlns:xi="http://www.w3.org/2001/XInclude" href="/etc/passwd"/>'
    assert "XInclude" in _refused(minimal_esdl(body))


def test_too_deep_nesting_is_refused() -> None:
    depth = intake.MAX_DEPTH + 5
    body = "<area>" * depth + "</area>" * depth
    assert "nested more than" in _refused(minimal_esdl(body))


def test_too_many_elements_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(intake, "MAX_ELEMENTS", 20)
    assert "more than 20 elements" in _refused(model_text("test1").encode("utf-8"))


def test_unknown_esdl_feature_is_refused_with_line() -> None:
    message = _refused(minimal_esdl("<bogus/>"))
    assert message.startswith("The ESDL could not be read") and "bogus" in message
