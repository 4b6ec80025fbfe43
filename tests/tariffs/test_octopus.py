"""Octopus API JSON → tariff model, on hand-made fixtures in the real API shapes (tests/fixtures/octopus)."""

from __future__ import annotations

import copy
import csv
import itertools
import json
import os
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evflex.periods import LocalWindow, Timeline, local_day
from evflex.tariffs.model import Direction, Structure, TariffError
from evflex.tariffs.octopus import (
    OctopusDataError,
    ProductFamily,
    RateRecord,
    clean_rates,
    import_tariff,
    load_json,
    parse_tariff_code,
    rate_history,
    read_product,
    read_rate_pages,
    unit_rates_over,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "octopus"
CHECKED = date(2026, 10, 5)
AGILE_C = [13.97, 13.2, 12.6, 11.9, 11.05, 10.5, -0.52, 9.8, 10.1, 12.3, 15.4, 18.9]  # oldest first, from 00:00Z


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def fixture(name: str) -> Path:
    return FIXTURES / name


def page(*records: dict[str, Any], count: int | None = None) -> dict[str, Any]:
    return {"count": len(records) if count is None else count, "next": None, "previous": None, "results": list(records)}


def rec(
    exc: float, start: str | None, end: str | None, inc: float | None = None, pm: str | None = None
) -> dict[str, Any]:
    return {
        "value_exc_vat": exc,
        "value_inc_vat": round(exc * 1.05, 6) if inc is None else inc,
        "valid_from": start,
        "valid_to": end,
        "payment_method": pm,
    }


def agile_pages() -> list[Path]:
    return [fixture("agile_C_unit_rates_page1.json"), fixture("agile_C_unit_rates_page2.json")]


# -- tariff codes -----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("code", "fuel", "registers", "n", "product", "region", "family"),
    [
        ("E-1R-AGILE-24-10-01-C", "E", "1R", 1, "AGILE-24-10-01", "C", ProductFamily.AGILE),
        ("e-1r-agile-24-10-01-a ", "E", "1R", 1, "AGILE-24-10-01", "A", ProductFamily.AGILE),
        ("E-1R-AGILE-OUTGOING-19-05-13-C", "E", "1R", 1, "AGILE-OUTGOING-19-05-13", "C", ProductFamily.AGILE_OUTGOING),
        ("E-2R-VAR-22-11-01-C", "E", "2R", 2, "VAR-22-11-01", "C", ProductFamily.FLEXIBLE),
        ("E-FLAT2R-SILVER-23-12-06-A", "E", "FLAT2R", 2, "SILVER-23-12-06", "A", ProductFamily.TRACKER),
        ("E-1R-INTELLI-VAR-24-10-29-P", "E", "1R", 1, "INTELLI-VAR-24-10-29", "P", ProductFamily.INTELLIGENT),
        ("E-1R-INTELLI-BB-VAR-23-03-01-B", "E", "1R", 1, "INTELLI-BB-VAR-23-03-01", "B", ProductFamily.INTELLIGENT),
        ("E-1R-IOG-SMB-TOU-25-12-12-N", "E", "1R", 1, "IOG-SMB-TOU-25-12-12", "N", ProductFamily.INTELLIGENT),
        ("E-1R-GO-VAR-22-10-14-J", "E", "1R", 1, "GO-VAR-22-10-14", "J", ProductFamily.GO),
        ("E-1R-OUTGOING-VAR-24-10-26-M", "E", "1R", 1, "OUTGOING-VAR-24-10-26", "M", ProductFamily.OUTGOING),
        # Intelligent Flux is not matched by the published Intelligent rules (INTELLI-VAR/-BB-VAR/-FIX, IOG…)
        ("E-1R-INTELLI-FLUX-IMPORT-23-07-14-C", "E", "1R", 1, "INTELLI-FLUX-IMPORT-23-07-14", "C", ProductFamily.OTHER),
        ("G-1R-VAR-22-11-01-H", "G", "1R", 1, "VAR-22-11-01", "H", ProductFamily.FLEXIBLE),
    ],
)
def test_parse_tariff_code(
    code: str, fuel: str, registers: str, n: int, product: str, region: str, family: ProductFamily
) -> None:
    parsed = parse_tariff_code(code)
    assert (parsed.fuel, parsed.registers, parsed.n_registers, parsed.product, parsed.region, parsed.family) == (
        fuel,
        registers,
        n,
        product,
        region,
        family,
    )
    assert str(parsed) == code.strip().upper()


@pytest.mark.parametrize(
    ("code", "says"),
    [
        ("BUS-PANELP-12M-FIXED-SEPTEMBER2029", "not '{fuel}-{registers}-{PRODUCT}-{region}'"),
        ("AGILE-24-10-01", "not '{fuel}"),
        ("E-1R-AGILE-24-10-01-I", "unknown region"),
        ("E-1R-AGILE-24-10-01-Z", "Northern Ireland"),
    ],
)
def test_parse_tariff_code_rejects(code: str, says: str) -> None:
    with pytest.raises(OctopusDataError, match=None) as info:
        parse_tariff_code(code)
    assert says in str(info.value)
    assert isinstance(info.value, TariffError)  # callers catching the package error see it too


# -- product detail -----------------------------------------------------------------------------------------
def test_agile_product_detail() -> None:
    product = read_product(fixture("product_agile.json"))
    assert product.code == "AGILE-24-10-01"
    assert product.direction is Direction.IMPORT
    assert product.family is ProductFamily.AGILE
    assert product.tariffs_active_at == datetime(2025, 3, 12, 10, 17, 23, 512000, tzinfo=UTC)
    assert product.regions() == ("A", "C")
    c = product.tariff("_C")
    assert c.code.code == "E-1R-AGILE-24-10-01-C"
    assert c.payment == "direct_debit_monthly"
    assert c.standing_charge_exc_vat == 37.6525
    assert dict(c.unit_rates_exc_vat) == {"standard": 15.96}
    assert c.links["standard_unit_rates"].endswith("/E-1R-AGILE-24-10-01-C/standard-unit-rates/")
    assert product.tariff("a").standing_charge_exc_vat == 46.4649
    with pytest.raises(OctopusDataError, match="no single-register tariff for region B \\(regions: A, C\\)"):
        product.tariff("B")


def test_flexible_product_prefers_varying_over_prepayment() -> None:
    product = read_product(fixture("product_flexible.json"))
    assert product.family is ProductFamily.FLEXIBLE
    c = product.tariff("C")
    assert (c.payment, c.unit_rates_exc_vat["standard"]) == ("varying", 26.5956)
    prepay = product.tariff("C", payment="prepayment")
    assert (prepay.payment, prepay.unit_rates_exc_vat["standard"]) == ("prepayment", 25.9012)
    assert product.tariff("A").unit_rates_exc_vat["standard"] == 25.1043
    dual = product.tariff("C", registers="dual")
    assert dual.code.code == "E-2R-VAR-22-11-01-C"
    assert dict(dual.unit_rates_exc_vat) == {"day": 28.1034, "night": 14.221}
    assert set(dual.links) == {"standing_charges", "day_unit_rates", "night_unit_rates"}
    assert product.regions("dual") == ("C",)
    with pytest.raises(OctopusDataError, match="no dual-register tariff for region A"):
        product.tariff("A", registers="dual")
    with pytest.raises(OctopusDataError, match="offers no 'direct_debit_quarterly'"):
        product.tariff("C", payment="direct_debit_quarterly")


def test_prepayment_only_region_is_never_chosen_silently() -> None:
    data = load_json(fixture("product_flexible.json"))
    del data["single_register_electricity_tariffs"]["_A"]["varying"]
    product = read_product(data)
    with pytest.raises(OctopusDataError, match=r"offers only prepayment.*payment='prepayment'"):
        product.tariff("A")
    assert product.tariff("A", payment="prepayment").unit_rates_exc_vat["standard"] == 24.3317


def test_product_detail_errors(tmp_path: Path) -> None:
    data = load_json(fixture("product_agile.json"))
    wrong = copy.deepcopy(data)
    wrong["single_register_electricity_tariffs"]["_A"] = wrong["single_register_electricity_tariffs"]["_C"]
    with pytest.raises(OctopusDataError, match="E-1R-AGILE-24-10-01-C is not for region A"):
        read_product(wrong)
    with pytest.raises(OctopusDataError, match="no product 'code'"):
        read_product({"results": []})
    bad_region = copy.deepcopy(data)
    bad_region["single_register_electricity_tariffs"]["_I"] = {}
    with pytest.raises(OctopusDataError, match="_I: unknown region"):
        read_product(bad_region)


# -- files and pages -------------------------------------------------------------------------------------------
def test_load_json_errors_name_the_file(tmp_path: Path) -> None:
    empty, broken, listed = tmp_path / "empty.json", tmp_path / "broken.json", tmp_path / "list.json"
    empty.write_text("  \n")
    broken.write_text('{"count": 1, "results": [')
    listed.write_text("[1, 2]")
    with pytest.raises(OctopusDataError, match=r"empty\.json is empty"):
        load_json(empty)
    with pytest.raises(OctopusDataError, match=r"broken\.json is not valid JSON \(line 1"):
        load_json(broken)
    with pytest.raises(OctopusDataError, match=r"cannot read .*missing\.json"):
        load_json(tmp_path / "missing.json")
    with pytest.raises(OctopusDataError, match=r"list\.json: expected a JSON object, found list"):
        read_rate_pages(listed)


def test_rate_pages_newest_first_across_two_pages() -> None:
    records = read_rate_pages(agile_pages())
    assert len(records) == 12
    assert records[0].valid_from == utc(2025, 10, 1, 5, 30)  # newest first as served
    assert records[-1].value_exc_vat == 13.97
    assert records[0].where.endswith("agile_C_unit_rates_page1.json record 1")
    # the order of the pages does not matter once cleaned
    reversed_pages, _ = clean_rates(read_rate_pages(agile_pages()[::-1]))
    forward, report = clean_rates(records)
    assert forward == reversed_pages
    assert [r.value_exc_vat for r in forward] == AGILE_C
    assert report.records_used == 12
    assert (report.duplicates, report.overlaps, report.vat_mismatches, report.dropped_payment_method) == (0, 0, 0, 0)


def test_missing_page_is_an_error() -> None:
    with pytest.raises(OctopusDataError, match="hold 8 records but the API counted 12: pass every page"):
        read_rate_pages(fixture("agile_C_unit_rates_page1.json"))


@pytest.mark.parametrize(
    ("record", "says"),
    [
        (rec(1.0, "2025-10-01T00:00:00", None), "has no UTC offset"),
        (rec(1.0, "yesterday", None), "not an ISO 8601 time"),
        (rec(1.0, "2025-10-01T00:15:00Z", None), "not on a half-hour boundary"),
        (rec(1.0, "2025-10-01T01:00:00Z", "2025-10-01T00:30:00Z"), "is not after valid_from"),
        ({**rec(1.0, "2025-10-01T00:00:00Z", None), "value_exc_vat": "1.0"}, "value_exc_vat is '1.0', not a number"),
        ({**rec(1.0, "2025-10-01T00:00:00Z", None), "value_exc_vat": None}, "value_exc_vat is None"),
        ("not a record", "expected an object"),
    ],
)
def test_bad_records_name_page_and_record(record: Any, says: str) -> None:
    good = rec(2.0, "2025-10-01T00:00:00Z", "2025-10-01T00:30:00Z")
    with pytest.raises(OctopusDataError) as info:
        read_rate_pages([page(good), page(good, record)])
    assert "rates page 2 record 2" in str(info.value)
    assert says in str(info.value)


def test_page_without_results() -> None:
    with pytest.raises(OctopusDataError, match="no 'results' list"):
        read_rate_pages({"detail": "Not found."})
    with pytest.raises(OctopusDataError, match="no rate pages given"):
        read_rate_pages([])


# -- cleaning: payment method, duplicates, overlaps, VAT --------------------------------------------------------
def test_flexible_keeps_direct_debit_and_never_mixes() -> None:
    records = read_rate_pages(fixture("flexible_C_unit_rates.json"))
    dd, report = clean_rates(records)
    assert [r.value_exc_vat for r in dd] == [24.4112, 25.7129, 23.7107, 25.0927, 26.5956]
    assert {r.payment_method for r in dd} == {"DIRECT_DEBIT"}
    assert dd[-1].valid_to is None
    assert (report.records_read, report.records_used, report.dropped_payment_method) == (10, 5, 5)
    assert report.vat_mismatches == 0  # 5% on the closed quarters, 0% on the open one
    ndd, _ = clean_rates(records, payment_method="non_direct_debit")
    assert [r.value_exc_vat for r in ndd] == [25.7112, 27.0129, 25.0107, 26.3927, 27.8956]


def test_null_payment_method_is_the_fallback_per_start() -> None:
    records = read_rate_pages(
        page(
            rec(20.0, "2025-01-01T00:00:00Z", "2025-04-01T00:00:00Z", pm=None),
            rec(21.0, "2025-04-01T00:00:00Z", None, pm=None),
            rec(19.0, "2025-04-01T00:00:00Z", None, pm="DIRECT_DEBIT"),
            rec(23.0, "2025-04-01T00:00:00Z", None, pm="NON_DIRECT_DEBIT"),
        )
    )
    kept, report = clean_rates(records)
    assert [(r.value_exc_vat, r.payment_method) for r in kept] == [(20.0, None), (19.0, "DIRECT_DEBIT")]
    assert report.dropped_payment_method == 2


def test_identical_duplicates_are_dropped_and_reported() -> None:
    records = read_rate_pages([*agile_pages(), fixture("agile_C_unit_rates_page2.json")])
    kept, report = clean_rates(records)
    assert [r.value_exc_vat for r in kept] == AGILE_C
    assert report.duplicates == 4
    (warning,) = report.warnings
    assert warning.startswith("rates: 4 duplicate(s) dropped: ")
    assert "agile_C_unit_rates_page2.json record 4 repeats " in warning
    assert warning.endswith("(and 1 more)")


def test_conflicting_same_start_is_an_error() -> None:
    records = read_rate_pages(
        page(rec(10.0, "2025-10-01T00:00:00Z", "2025-10-01T00:30:00Z"), rec(11.0, "2025-10-01T00:00:00Z", None))
    )
    with pytest.raises(OctopusDataError, match="both start at 2025-10-01T00:00:00\\+00:00 with different rates"):
        clean_rates(records)


def test_overlap_later_start_wins() -> None:
    records = read_rate_pages(
        page(
            rec(10.0, "2025-10-01T00:00:00Z", "2025-10-01T02:00:00Z"),
            rec(20.0, "2025-10-01T01:00:00Z", "2025-10-01T01:30:00Z"),
            rec(30.0, "2025-10-01T03:00:00Z", None),
        )
    )
    kept, report = clean_rates(records)
    spans = [(r.value_exc_vat, r.valid_from, r.valid_to) for r in kept]
    assert spans == [
        (10.0, utc(2025, 10, 1, 0), utc(2025, 10, 1, 1)),
        (20.0, utc(2025, 10, 1, 1), utc(2025, 10, 1, 1, 30)),
        (10.0, utc(2025, 10, 1, 1, 30), utc(2025, 10, 1, 2)),
        (30.0, utc(2025, 10, 1, 3), None),
    ]
    assert report.overlaps == 1
    rates, uncovered = unit_rates_over(kept, Timeline(utc(2025, 10, 1), 8))
    np.testing.assert_array_equal(rates, [10, 10, 20, 10, np.nan, np.nan, 30, 30])
    assert uncovered == ((utc(2025, 10, 1, 2), utc(2025, 10, 1, 3)),)
    with pytest.raises(OctopusDataError, match="pass them through clean_rates"):
        unit_rates_over(records, Timeline(utc(2025, 10, 1), 8))


def test_vat_cross_check_warns_beyond_rounding() -> None:
    records = read_rate_pages(
        page(
            rec(10.0, "2025-10-01T00:00:00Z", "2025-10-01T00:30:00Z", inc=10.5),  # 5%
            rec(10.0, "2025-10-01T00:30:00Z", "2025-10-01T01:00:00Z", inc=10.0),  # 0%
            rec(24.4112, "2025-10-01T01:00:00Z", "2025-10-01T01:30:00Z", inc=25.63),  # 5%, rounded to 2 dp
            rec(10.0, "2025-10-01T01:30:00Z", "2025-10-01T02:00:00Z", inc=12.0),  # 20%: wrong
            rec(10.0, "2025-10-01T02:00:00Z", "2025-10-01T02:30:00Z", inc=10.25),  # neither
        )
    )
    _, report = clean_rates(records)
    assert report.vat_mismatches == 2
    assert "record 4: inc 12.0 vs exc 10.0" in " ".join(report.warnings)


# -- laying records on a timeline ---------------------------------------------------------------------------------
def test_agile_half_hours_on_a_timeline() -> None:
    kept, _ = clean_rates(read_rate_pages(agile_pages()))
    rates, uncovered = unit_rates_over(kept, Timeline(utc(2025, 9, 30, 23), 16))
    np.testing.assert_array_equal(rates[2:14], AGILE_C)
    assert np.isnan(rates[[0, 1, 14, 15]]).all()
    assert uncovered == ((utc(2025, 9, 30, 23), utc(2025, 10, 1)), (utc(2025, 10, 1, 6), utc(2025, 10, 1, 7)))
    # a 15-minute timeline takes the half-hour record covering each quarter's start
    quarter, _ = unit_rates_over(kept, Timeline(utc(2025, 10, 1), 24, period_minutes=15))
    np.testing.assert_array_equal(quarter, np.repeat(AGILE_C, 2))


def test_iog_band_record_expands_to_twelve_half_hours() -> None:
    kept, _ = clean_rates(read_rate_pages(fixture("iog_C_unit_rates.json")))
    timeline = Timeline.between(utc(2026, 1, 14, 5, 30), utc(2026, 1, 15, 23, 30))
    rates, uncovered = unit_rates_over(kept, timeline)
    offpeak = np.flatnonzero(rates == 6.6667)
    np.testing.assert_array_equal(offpeak, np.arange(36, 48))  # 23:30Z → 05:30Z: 12 half-hours
    assert (rates == 28.9524).sum() == 72
    assert uncovered == ()
    # the same records on the local day of 15 January (GMT): 00:00–05:30 off-peak, 23:30 not yet published
    day, gaps = unit_rates_over(kept, local_day(date(2026, 1, 15)))
    assert np.flatnonzero(day == 6.6667).tolist() == list(range(11))
    assert gaps == ((utc(2026, 1, 15, 23, 30), utc(2026, 1, 16)),)


def test_band_records_in_summer_match_the_local_window() -> None:
    """23:30–05:30 BST is 22:30Z–04:30Z: the expanded records agree with LocalWindow on that local day."""
    records = read_rate_pages(
        page(
            rec(7.0, "2026-07-15T22:30:00Z", "2026-07-16T04:30:00Z"),
            rec(29.0, "2026-07-15T04:30:00Z", "2026-07-15T22:30:00Z"),
            rec(7.0, "2026-07-14T22:30:00Z", "2026-07-15T04:30:00Z"),
        )
    )
    kept, _ = clean_rates(records)
    day = local_day(date(2026, 7, 15))
    rates, uncovered = unit_rates_over(kept, day)
    window = LocalWindow.parse("23:30-05:30").mask(day)
    np.testing.assert_array_equal(rates == 7.0, window)
    assert window.sum() == 12
    assert uncovered == ()


# -- rate histories and tariffs -------------------------------------------------------------------------------------
def test_standing_charge_history_open_ended() -> None:
    kept, _ = clean_rates(read_rate_pages(fixture("agile_C_standing_charges.json")))
    from evflex.tariffs.model import Source

    source = Source("octopus-api:AGILE-24-10-01/E-1R-AGILE-24-10-01-C", CHECKED)
    history = rate_history(kept, source)
    (entry,) = history.entries
    assert (entry.value_exc_vat, entry.valid_from, entry.valid_to) == (37.6525, utc(2024, 9, 30, 23), None)
    assert history.at(utc(2031, 1, 1)).value_exc_vat == 37.6525
    with pytest.raises(TariffError):
        history.at(utc(2024, 9, 30, 22, 30))
    with pytest.raises(OctopusDataError, match="no rate records"):
        rate_history((), source)


def test_import_agile_is_dynamic_named_after_the_tariff_code() -> None:
    product = read_product(fixture("product_agile.json"))
    imported = import_tariff(
        product,
        "C",
        read_rate_pages(agile_pages()),
        read_rate_pages(fixture("agile_C_standing_charges.json")),
        checked=CHECKED,
    )
    tariff = imported.tariff
    assert (tariff.code, tariff.structure, tariff.price_series) == (
        "E-1R-AGILE-24-10-01-C",
        Structure.DYNAMIC,
        "E-1R-AGILE-24-10-01-C",
    )
    assert imported.timeline == Timeline(utc(2025, 10, 1), 12)
    assert imported.unit_rates_p_per_kwh is not None
    np.testing.assert_array_equal(imported.unit_rates_p_per_kwh, AGILE_C)
    assert tariff.standing_charge is not None
    assert tariff.standing_charge.for_region("C").at(utc(2025, 10, 1)).value_exc_vat == 37.6525
    with pytest.raises(TariffError, match="no rate for region A"):
        tariff.standing_charge.for_region("A")
    (source,) = tariff.sources
    assert (source.ref, source.checked) == ("octopus-api:AGILE-24-10-01/E-1R-AGILE-24-10-01-C", CHECKED)
    assert tariff.standing_charge.for_region("C").entries[0].source == source
    assert tariff.vat_applies
    assert tariff.direction is Direction.IMPORT
    assert imported.report.uncovered_periods == 0
    assert imported.report.warnings == ()


def test_import_agile_on_a_longer_timeline_reports_uncovered() -> None:
    product = read_product(fixture("product_agile.json"))
    timeline = local_day(date(2025, 10, 1))  # 2025-09-30T23:00Z, 48 periods
    imported = import_tariff(
        product,
        "C",
        read_rate_pages(agile_pages()),
        read_rate_pages(fixture("agile_C_standing_charges.json")),
        checked=CHECKED,
        timeline=timeline,
    )
    assert imported.report.uncovered_periods == 36
    assert imported.report.uncovered[0] == (utc(2025, 9, 30, 23), utc(2025, 10, 1))
    assert "36 period(s) in 2 range(s) have no rate, first 2025-09-30 23:00Z" in imported.report.warnings[-1]


def test_import_flexible_is_flat_with_direct_debit_history() -> None:
    product = read_product(fixture("product_flexible.json"))
    timeline = Timeline.between(utc(2026, 3, 31, 22), utc(2026, 4, 1, 1))  # across the 1 April change
    imported = import_tariff(
        product,
        "C",
        read_rate_pages(fixture("flexible_C_unit_rates.json")),
        read_rate_pages(fixture("flexible_C_standing_charges.json")),
        checked=CHECKED,
        timeline=timeline,
    )
    tariff = imported.tariff
    assert (tariff.code, tariff.structure, tariff.price_series) == ("E-1R-VAR-22-11-01-C", Structure.FLAT, None)
    unit = tariff.default_band.rate.for_region("C")
    assert [e.value_exc_vat for e in unit.entries] == [24.4112, 25.7129, 23.7107, 25.0927, 26.5956]
    assert unit.at(utc(2026, 2, 1)).value_exc_vat == 25.7129
    assert unit.at(utc(2027, 3, 1)).value_exc_vat == 26.5956  # open-ended
    assert tariff.standing_charge is not None
    assert tariff.standing_charge.for_region("C").at(utc(2025, 11, 1)).value_exc_vat == 42.9498
    assert imported.unit_rates_p_per_kwh is not None
    np.testing.assert_array_equal(imported.unit_rates_p_per_kwh, [25.7129, 25.7129, 23.7107, 23.7107, 23.7107, 23.7107])
    np.testing.assert_array_equal(imported.unit_rates_p_per_kwh, unit.over(timeline))  # the model agrees
    assert imported.report.dropped_payment_method == 10  # 5 NON_DIRECT_DEBIT unit rates + 5 standing charges
    assert "varying" in tariff.notes[1]
    flat_no_timeline = import_tariff(
        product,
        "C",
        read_rate_pages(fixture("flexible_C_unit_rates.json")),
        read_rate_pages(fixture("flexible_C_standing_charges.json")),
        checked=CHECKED,
    )
    assert flat_no_timeline.unit_rates_p_per_kwh is None
    assert flat_no_timeline.timeline is None


def test_import_iog_bands_is_dynamic() -> None:
    product = read_product(
        {
            "code": "INTELLI-VAR-24-10-29",
            "direction": "IMPORT",
            "full_name": "Intelligent Octopus Go",
            "single_register_electricity_tariffs": {
                "_C": {"direct_debit_monthly": {"code": "E-1R-INTELLI-VAR-24-10-29-C"}}
            },
        }
    )
    imported = import_tariff(
        product,
        "C",
        read_rate_pages(fixture("iog_C_unit_rates.json")),
        read_rate_pages(page(rec(45.0, "2025-06-01T00:00:00Z", None))),
        checked=CHECKED,
    )
    assert imported.tariff.structure is Structure.DYNAMIC
    assert imported.timeline == Timeline.between(utc(2026, 1, 14, 5, 30), utc(2026, 1, 15, 23, 30))
    assert imported.unit_rates_p_per_kwh is not None
    assert (imported.unit_rates_p_per_kwh == 6.6667).sum() == 12


def test_import_dual_register_time_of_use() -> None:
    product = read_product(fixture("product_flexible.json"))
    day = read_rate_pages(page(rec(28.1034, "2026-09-30T23:00:00Z", None, inc=28.1034)))
    night = read_rate_pages(page(rec(14.221, "2026-09-30T23:00:00Z", None, inc=14.221)))
    standing = read_rate_pages(fixture("flexible_C_standing_charges.json"))
    window = LocalWindow.parse("00:30-07:30")
    imported = import_tariff(product, "C", day, standing, checked=CHECKED, night_rates=night, night_window=window)
    tariff = imported.tariff
    assert tariff.code == "E-2R-VAR-22-11-01-C"
    assert tariff.structure is Structure.TIME_OF_USE
    assert tariff.band("night").windows == (window,)
    assert tariff.band("night").rate.for_region("C").at(utc(2026, 11, 1)).value_exc_vat == 14.221
    assert tariff.default_band.name == "day"
    with pytest.raises(OctopusDataError, match="needs night_window"):
        import_tariff(product, "C", day, standing, checked=CHECKED, night_rates=night)


def test_import_export_product_without_standing_charge() -> None:
    product = read_product(
        {
            "code": "AGILE-OUTGOING-19-05-13",
            "direction": "EXPORT",
            "display_name": "Agile Outgoing Octopus",
            "single_register_electricity_tariffs": {
                "_C": {"direct_debit_monthly": {"code": "E-1R-AGILE-OUTGOING-19-05-13-C"}}
            },
        }
    )
    rates = read_rate_pages(
        page(
            rec(5.5, "2025-10-01T00:30:00Z", "2025-10-01T01:00:00Z", inc=5.5),
            rec(4.2, "2025-10-01T00:00:00Z", "2025-10-01T00:30:00Z", inc=4.2),
        )
    )
    imported = import_tariff(product, "C", rates, (), checked=CHECKED)
    assert imported.tariff.direction is Direction.EXPORT
    assert imported.tariff.standing_charge is None
    assert not imported.tariff.vat_applies
    assert imported.unit_rates_p_per_kwh is not None
    np.testing.assert_array_equal(imported.unit_rates_p_per_kwh, [4.2, 5.5])
    assert imported.report.vat_mismatches == 0


def test_import_errors() -> None:
    product = read_product(fixture("product_agile.json"))
    rates = read_rate_pages(agile_pages())
    with pytest.raises(OctopusDataError, match="no standing-charge records"):
        import_tariff(product, "C", rates, (), checked=CHECKED)
    standing = read_rate_pages(fixture("agile_C_standing_charges.json"))
    with pytest.raises(OctopusDataError, match="no unit-rate records for payment method DIRECT_DEBIT"):
        import_tariff(product, "C", (), standing, checked=CHECKED)
    open_ended = read_rate_pages(
        page(rec(10.0, "2025-10-01T00:00:00Z", "2025-10-01T00:30:00Z"), rec(11.0, "2025-10-01T00:30:00Z", None))
    )
    with pytest.raises(OctopusDataError, match="open-ended; pass a timeline"):
        import_tariff(product, "C", open_ended, standing, checked=CHECKED)


# -- properties ---------------------------------------------------------------------------------------------------
ORIGIN = utc(2025, 10, 1)


@st.composite
def overlapping_records(draw: st.DrawFn) -> list[RateRecord]:
    n = draw(st.integers(1, 12))
    out = []
    starts = draw(st.lists(st.integers(0, 40), min_size=n, max_size=n, unique=True))
    for k, s in enumerate(starts):
        length = draw(st.integers(1, 12))
        out.append(
            RateRecord(
                float(k),
                None,
                ORIGIN + timedelta(minutes=30 * s),
                ORIGIN + timedelta(minutes=30 * (s + length)),
                None,
                f"r{k}",
            )
        )
    return out


@settings(max_examples=150, deadline=None)
@given(overlapping_records(), st.randoms(use_true_random=False))
def test_clean_then_lay_equals_later_start_wins(records: list[RateRecord], rnd: Any) -> None:
    """Per period, the rate is that of the covering record with the latest start (brute force reference)."""
    shuffled = records[:]
    rnd.shuffle(shuffled)
    shuffled += shuffled[: rnd.randint(0, len(shuffled))]  # identical duplicates
    kept, report = clean_rates(shuffled)
    timeline = Timeline(ORIGIN, 60)
    rates, uncovered = unit_rates_over(kept, timeline)
    expected = np.full(60, np.nan)
    for p in range(60):
        moment = ORIGIN + timedelta(minutes=30 * p)
        covering = [r for r in records if r.start <= moment < r.end]
        if covering:
            expected[p] = max(covering, key=lambda r: r.start).value_exc_vat
    np.testing.assert_array_equal(rates, expected)
    assert sum((b - a for a, b in uncovered), timedelta(0)) == timedelta(minutes=30) * int(np.isnan(expected).sum())
    assert report.duplicates == len(shuffled) - len(records)
    assert all(a.end <= b.start for a, b in itertools.pairwise(kept))


# -- real data (skipped when ../shared/data is absent) --------------------------------------------------------------
def _shared_data() -> Path:
    env = os.environ.get("EVFLEX_SHARED_DATA")
    return Path(env) if env else Path(__file__).resolve().parents[2] / "../shared/data"


@pytest.mark.realdata
def test_real_agile_year_through_the_api_shape() -> None:
    """A real Agile year (region J, 2023) re-expressed as API pages of 1500 records imports without gaps."""
    path = _shared_data() / "octopus_agile_import_J_2020-01-01_2024-05-14.csv"
    if not path.exists():
        pytest.skip(f"{path} not present")
    with path.open() as fh:
        rows = [r for r in csv.DictReader(fh) if r["interval_start_utc"].startswith("2023-")]
    results = []
    for r in rows:
        start = datetime.fromisoformat(r["interval_start_utc"])
        inc = float(r["import_p_per_kwh"])
        results.append(rec(inc / 1.05, r["interval_start_utc"], (start + timedelta(minutes=30)).isoformat(), inc=inc))
    results.reverse()  # newest first, as served
    pages = [
        json.loads(
            json.dumps({"count": len(results), "next": None, "previous": None, "results": results[k : k + 1500]})
        )
        for k in range(0, len(results), 1500)
    ]
    product = read_product(
        {
            "code": "AGILE-18-02-21",
            "single_register_electricity_tariffs": {"_J": {"direct_debit_monthly": {"code": "E-1R-AGILE-18-02-21-J"}}},
        }
    )
    standing = read_rate_pages(page(rec(21.0, "2018-02-21T00:00:00Z", None)))
    imported = import_tariff(product, "J", read_rate_pages(pages), standing, checked=CHECKED)
    assert imported.timeline == Timeline.between(utc(2023, 1, 1), utc(2024, 1, 1))
    assert imported.unit_rates_p_per_kwh is not None
    expected = np.array([float(r["import_p_per_kwh"]) for r in rows]) / 1.05
    np.testing.assert_allclose(imported.unit_rates_p_per_kwh, expected, rtol=0, atol=1e-12)
    assert imported.report.uncovered_periods == 0
    assert imported.report.vat_mismatches == 0
    assert round(float(imported.unit_rates_p_per_kwh.min()) * 1.05, 2) == -19.94  # the README's 2023 minimum
