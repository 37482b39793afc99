"""Rules a model must satisfy before it is stored: each refusal names the object, attribute, rule.

Each test breaks one rule of a small valid network (``tests.models.esdl_samples.network``) by
replacing a piece of its text; the first tests show that the network and the shared real models
break none.
"""

from __future__ import annotations

import dataclasses

import pytest

from apps.models.esdl_document import EsdlDocument
from apps.models.esdl_intake import EsdlInvalid
from apps.models.esdl_profiles import DEFAULT_PROFILE_PERIOD
from apps.models.esdl_rules import check_rules
from apps.profiles.limits import ProfileLimits
from omotes.esdl_generator import network_text
from tests.models.esdl_samples import EXPECTED_TOTALS, PROFILE, model_text, network

LIMITS = ProfileLimits(max_years=10, max_points=43_920, max_profiles=2_000, max_model_points=10**7)


def problems_of(text: str) -> list[str]:
    """The broken rules ``text`` is refused with, whether found while reading or afterwards."""
    with pytest.raises(EsdlInvalid) as refused:
        check_rules(EsdlDocument(text), LIMITS)
    return refused.value.problems


def broken(old: str, new: str, profile: str = PROFILE) -> str:
    text = network(profile=profile)
    assert old in text, old
    return text.replace(old, new, 1)


def test_the_small_network_breaks_no_rule() -> None:
    check_rules(EsdlDocument(network()), LIMITS)


@pytest.mark.parametrize("name", sorted(EXPECTED_TOTALS))
def test_the_shared_real_models_break_no_rule(name: str) -> None:
    check_rules(EsdlDocument(model_text(name)), LIMITS)


def test_a_generated_network_breaks_no_rule() -> None:
    check_rules(EsdlDocument(network_text(100)), LIMITS)


def test_two_assets_with_one_id_are_refused_naming_both() -> None:
    [problem] = problems_of(broken('id="pr" name="Return pipe"', 'id="ps" name="Return pipe"'))

    assert 'Pipe "Return pipe" (id ps) and Pipe "Supply pipe" (id ps)' in problem
    assert "must be unique" in problem


def test_a_port_connected_to_no_object_is_refused_naming_port_and_asset() -> None:
    [problem] = problems_of(broken('connectedTo="ps-in"', 'connectedTo="nowhere"'))

    assert problem == (
        'OutPort "Out" (id source-out) of GenericProducer "Source" (id source): '
        "connectedTo 'nowhere': names no object in the model"
    )


@pytest.mark.parametrize("length", ["-3.0", "0.0"])
def test_a_pipe_of_no_length_is_refused(length: str) -> None:
    [problem] = problems_of(broken('length="100.0"', f'length="{length}"'))

    assert problem == f'Pipe "Supply pipe" (id ps): length {length} m: must be more than 0 m'


def test_a_pipe_without_length_is_refused() -> None:
    [problem] = problems_of(broken('length="100.0" ', ""))

    assert problem.startswith('Pipe "Supply pipe" (id ps): length 0.0 m')


@pytest.mark.parametrize(
    "attributes,rule",
    [
        ('innerDiameter="-0.1"', "innerDiameter -0.1 m: must be more than 0 m"),
        ('innerDiameter="0.0"', "innerDiameter 0.0 m: must be more than 0 m"),
        ('innerDiameter="0.1" outerDiameter="-0.2"', "outerDiameter -0.2 m: must be more than 0 m"),
    ],
)
def test_a_pipe_of_negative_or_zero_diameter_is_refused(attributes: str, rule: str) -> None:
    [problem] = problems_of(broken('innerDiameter="0.1"', attributes))

    assert problem == f'Pipe "Supply pipe" (id ps): {rule}'


def test_a_zero_inner_diameter_with_a_dn_size_asks_the_catalogue_and_is_allowed() -> None:
    text = broken('innerDiameter="0.1"', 'innerDiameter="0.0" diameter="DN100"')

    check_rules(EsdlDocument(text), LIMITS)


@pytest.mark.parametrize("number", ["NaN", "INF", "-INF"])
def test_a_number_that_is_not_finite_is_refused(number: str) -> None:
    [problem] = problems_of(broken('power="1000000.0"', f'power="{number}"'))

    assert problem.startswith('GenericProducer "Source" (id source): power ')
    assert problem.endswith("numbers must be finite")


def test_a_model_without_assets_is_refused() -> None:
    text = network()
    start, end = text.index("<asset "), text.rindex("</asset>") + len("</asset>")

    assert problems_of(text[:start] + text[end:]) == [
        "The model: no assets: a model needs at least one asset"
    ]


def test_ports_of_two_carriers_connected_are_refused_naming_both() -> None:
    text = network().replace(
        '<port xsi:type="esdl:InPort" id="ps-in" name="In" carrier="supply"',
        '<port xsi:type="esdl:InPort" id="ps-in" name="In" carrier="return"',
    )

    [problem] = problems_of(text)

    assert problem == (
        'OutPort "Out" (id source-out) of GenericProducer "Source" (id source): carrier '
        'HeatCommodity "Supply" (id supply) is connected to InPort "In" (id ps-in) of Pipe '
        '"Supply pipe" (id ps) on carrier HeatCommodity "Return" (id return): connected ports '
        "must carry the same carrier"
    )


# --- input profiles: each of these was a server error while binding the profile ------------

PROFILE_OF_HOUSE = 'InfluxDBProfile "Demand" (id house-profile) of HeatingDemand "House" (id house)'


@pytest.mark.parametrize("attribute", ["startDate", "endDate"])
def test_a_profile_without_a_date_takes_the_default_year_and_says_so(attribute: str) -> None:
    """Older models leave the dates out (upload was a server error, then a refusal): the
    profile is bound over the simulator's default year, which the summary states."""
    without = PROFILE.replace(f'{attribute}="2019-01-0', 'x="', 1)
    assert attribute not in without
    document = EsdlDocument(network(profile=without))

    check_rules(document, LIMITS)

    [reference] = document.profile_references()
    assert getattr(reference, attribute[:-4]) == DEFAULT_PROFILE_PERIOD[attribute == "endDate"]
    assert (
        "1 input profile(s) state no startDate or endDate: taken as 2019-01-01 00:00 to "
        "2019-12-31 23:00 UTC." in document.summary()["notes"]
    )


def test_a_profile_ending_before_it_starts_is_refused() -> None:
    text = broken('endDate="2019-01-08', 'endDate="2018-12-01')

    [problem] = problems_of(text)

    assert problem.startswith(
        f"{PROFILE_OF_HOUSE}: endDate 2018-12-01T00:00:00+00:00: must be after"
    )


def test_a_profile_in_year_one_is_refused() -> None:
    [problem] = problems_of(broken('startDate="2019-01-01', 'startDate="0001-01-01'))

    assert problem.startswith(f"{PROFILE_OF_HOUSE}: startDate 0001-01-01T00:00:00")
    assert problem.endswith("must be in the years 1900-2100")


def test_a_profile_over_fifty_years_is_refused_naming_profile_asset_and_limit() -> None:
    """The hostile kit's profile_50_years.esdl: hourly 2000-2049 once made ~2,100 shards."""
    text = broken('startDate="2019-01-01', 'startDate="2000-01-01')
    text = text.replace('endDate="2019-01-08T00:00', 'endDate="2049-12-31T23:00', 1)

    [problem] = problems_of(text)

    assert problem == (
        f"{PROFILE_OF_HOUSE}: 2000-01-01T00:00:00+00:00 to 2049-12-31T23:00:00+00:00: an input "
        "profile may cover at most 10 years (DT_PROFILE_MAX_YEARS)"
    )


def test_a_profile_with_more_hourly_points_than_the_limit_is_refused() -> None:
    [problem] = problems_of(broken('endDate="2019-01-08', 'endDate="2025-01-01'))

    assert problem == (
        f"{PROFILE_OF_HOUSE}: 52,609 hourly points: an input profile may have at most 43,920 "
        "(DT_PROFILE_MAX_POINTS)"
    )


def test_five_years_of_hourly_points_are_allowed() -> None:
    check_rules(
        EsdlDocument(broken('endDate="2019-01-08T00:00', 'endDate="2023-12-31T23:00')), LIMITS
    )


def test_a_model_with_more_profiles_than_the_limit_is_refused() -> None:
    limits = dataclasses.replace(LIMITS, max_profiles=3)

    with pytest.raises(EsdlInvalid) as refused:
        check_rules(EsdlDocument(model_text("test_ates")), limits)

    assert refused.value.problems == [
        "The model: 4 input profiles: a model may have at most 3 (DT_MODEL_MAX_PROFILES)"
    ]


def test_a_model_whose_profiles_together_have_too_many_points_is_refused() -> None:
    limits = dataclasses.replace(LIMITS, max_model_points=30_000)

    with pytest.raises(EsdlInvalid) as refused:
        check_rules(EsdlDocument(model_text("test_ates")), limits)  # 4 hourly profiles of a year

    assert refused.value.problems == [
        "The model: its input profiles have 35,040 points together: a model may have at most "
        "30,000 (DT_MODEL_MAX_PROFILE_POINTS)"
    ]
