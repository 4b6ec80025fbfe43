from __future__ import annotations

import json
from datetime import UTC, datetime

import numpy as np
import pytest

from evflex.periods import Timeline
from evflex.signals.carbon import (
    CI_REGION_TO_GSP,
    GSP_TO_CI_REGION,
    ci_region_for_gsp,
    gsp_for_ci_region,
    parse_national,
    parse_region,
    parse_regional,
)
from evflex.signals.series import SignalError
from evflex.tariffs.model import REGIONS

from .conftest import FIXTURES

NAN = np.nan


def text(name: str) -> str:
    return (FIXTURES / name).read_text()


def test_national_fixture() -> None:
    ci = parse_national(text("ci_national.json"))
    assert ci.region_id == 0
    assert ci.timeline == Timeline(datetime(2025, 3, 30, 0, 0, tzinfo=UTC), 6)
    np.testing.assert_array_equal(ci.forecast.values, [120, 110, NAN, 95, 90, 260])
    assert ci.actual is not None
    np.testing.assert_array_equal(ci.actual.values, [118, 0, NAN, 97, NAN, NAN])
    assert ci.index is not None
    assert ci.index.tolist() == ["moderate", "low", "", "low", "low", "very high"]
    assert [str(r) for r in ci.forecast.report.missing] == ["1 period 2025-03-30T01:00Z"]
    assert [str(r) for r in ci.actual.report.missing] == [
        "1 period 2025-03-30T01:00Z",
        "2 periods 2025-03-30T02:00Z→2025-03-30T02:30Z",
    ]
    (zero,) = ci.actual.report.suspicious
    assert [str(r) for r in zero.ranges] == ["1 period 2025-03-30T00:30Z"]
    assert "exactly 0" in zero.reason
    assert ci.forecast.unit == "gCO2/kWh"


def test_payload_may_be_text_bytes_or_parsed() -> None:
    raw = text("ci_national.json")
    a, b, c = parse_national(raw), parse_national(raw.encode()), parse_national(json.loads(raw))
    np.testing.assert_array_equal(a.forecast.values, b.forecast.values)
    np.testing.assert_array_equal(a.forecast.values, c.forecast.values)


def test_regional_fixture_skips_unknown_ids() -> None:
    rc = parse_regional(text("ci_regional.json"))
    assert sorted(rc.regions) == [3, 14]
    assert rc.skipped_region_ids == (18,)
    north_west, south_east = rc.regions[3], rc.regions[14]
    assert north_west.timeline == south_east.timeline == Timeline(datetime(2025, 12, 20, 14, tzinfo=UTC), 2)
    np.testing.assert_array_equal(north_west.forecast.values, [180, 190])
    np.testing.assert_array_equal(south_east.forecast.values, [150, NAN])  # absent from the second period
    assert south_east.forecast.report.n_missing == 1
    assert north_west.actual is None  # regional data is forecast-only
    assert north_west.index is not None
    assert north_west.index.tolist() == ["moderate", "high"]
    assert rc.for_gsp("J") is south_east
    assert rc.for_gsp("_g") is north_west
    with pytest.raises(SignalError, match="region 13 \\(GSP C\\) is not in this response"):
        rc.for_gsp("C")


@pytest.mark.parametrize("name", ["ci_region_object.json", "ci_region_list.json"])
def test_single_region_object_or_list(name: str) -> None:
    ci = parse_region(text(name))
    assert ci.region_id == 11
    assert gsp_for_ci_region(ci.region_id) == "L"
    assert ci.timeline == Timeline(datetime(2025, 12, 20, 14, tzinfo=UTC), 3)
    np.testing.assert_array_equal(ci.forecast.values, [265, 240, 230])
    assert ci.actual is None
    assert ci.forecast.report.is_clean


def test_api_error_body_becomes_signal_error() -> None:
    for parse in (parse_national, parse_regional, parse_region):
        with pytest.raises(SignalError, match="400 Bad Request: Please enter a valid date in ISO8601"):
            parse(text("ci_error.json"))


def _national(records: list[dict[str, object]]) -> str:
    return json.dumps({"data": records})


GOOD: dict[str, object] = {
    "from": "2025-01-01T00:00Z",
    "to": "2025-01-01T00:30Z",
    "intensity": {"forecast": 1, "actual": 2},
}


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ("{not json", "not JSON"),
        ("[1, 2]", "must be a JSON object"),
        ('{"rows": []}', "no 'data'"),
        (_national([]), "no periods"),
        (_national([{**GOOD, "from": "2025-01-01T00:00"}]), "has no 'Z'"),
        (_national([{**GOOD, "from": "yesterday"}]), "not ISO 8601"),
        (_national([{**GOOD, "to": "2025-01-01T01:00Z"}]), "not one half-hour period"),
        (_national([{**GOOD, "intensity": {"forecast": "high"}}]), "intensity.forecast.*not a number"),
        (_national([{"from": GOOD["from"], "to": GOOD["to"]}]), "no 'intensity'"),
    ],
)
def test_malformed_national_payloads(payload: str, message: str) -> None:
    with pytest.raises(SignalError, match=message):
        parse_national(payload)


def test_malformed_region_payloads() -> None:
    region = json.loads(text("ci_region_object.json"))["data"]
    with pytest.raises(SignalError, match="list of 2, expected one region"):
        parse_region({"data": [region, region]})
    with pytest.raises(SignalError, match="regionid 18 is not a known region"):
        parse_region({"data": {**region, "regionid": 18}})
    with pytest.raises(SignalError, match="no 'regions' list"):
        parse_regional(text("ci_national.json"))
    only_gb = {"data": [{**GOOD, "regions": [{"regionid": 18, "intensity": {"forecast": 1}}]}]}
    with pytest.raises(SignalError, match=r"no known region ids .* found \[18\]"):
        parse_regional(only_gb)


def test_duplicated_period_is_dropped_and_reported() -> None:
    ci = parse_national(_national([GOOD, {**GOOD, "intensity": {"forecast": 5, "actual": 6}}]))
    np.testing.assert_array_equal(ci.forecast.values, [1.0])
    assert ci.forecast.report.duplicates_dropped == 1
    assert ci.forecast.report.conflicting_duplicates == 1


def test_region_mapping_is_a_bijection_onto_the_gsp_groups() -> None:
    assert sorted(CI_REGION_TO_GSP) == list(range(1, 15))
    assert sorted(CI_REGION_TO_GSP.values()) == sorted(REGIONS)
    assert all(GSP_TO_CI_REGION[g] == rid for rid, g in CI_REGION_TO_GSP.items())
    # spot checks against the facts sheet's table (§5)
    assert (ci_region_for_gsp("J"), ci_region_for_gsp("_c"), ci_region_for_gsp("P")) == (14, 13, 1)
    with pytest.raises(SignalError, match="nation"):
        gsp_for_ci_region(16)
    with pytest.raises(SignalError, match="not a DNO region"):
        gsp_for_ci_region(18)
    with pytest.raises(SignalError, match="unknown region 'I'"):
        ci_region_for_gsp("I")
