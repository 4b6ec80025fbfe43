from __future__ import annotations

import os
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evflex.periods import LONDON, Timeline, local_day, local_days
from evflex.tariffs.catalogue import Catalogue, CatalogueError, UnknownTariffError, load_catalogue
from evflex.tariffs.model import REGIONS, Direction, RegionalRate, SmartRules, Structure, Tariff, TariffError

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = Path(os.environ.get("EVFLEX_SHARED_DATA", ROOT / "../shared/data")).parent / "reference"
CAT = load_catalogue()

# Every row of the table in reference/uk-ev-tariffs-2026.txt → catalogue code.
EV_TABLE = {
    "Octopus Intelligent Octopus Go": "INTELLIGENT-OCTOPUS-GO",
    "Octopus Go": "OCTOPUS-GO",
    "Octopus Agile": "OCTOPUS-AGILE",
    "OVO Charge Anytime (add-on)": "OVO-CHARGE-ANYTIME",
    "E.ON Next Drive": "EON-NEXT-DRIVE",
    "EDF GoElectric 35h": "EDF-GOELECTRIC-35",
    "EDF GoElectric 25h": "EDF-GOELECTRIC-25",
    "EDF GoElectric Overnight": "EDF-GOELECTRIC-OVERNIGHT",
    "British Gas Electric Driver": "BG-ELECTRIC-DRIVER",
    "Scottish Power EV Saver": "SP-EV-SAVER",
}
OTHERS = {
    "FLEXIBLE-OCTOPUS",
    "PRICE-CAP-SVT",
    "OVO-BASE-FLAT",
    "POWER-PACK",
    "OUTGOING-OCTOPUS",
    "OCTOPUS-SEG",
    "PRIME-OUTGOING",
    "AGILE-OUTGOING",
}
# code → (off-peak windows, exit fee £/fuel, EV proof), as the table gives them (EDF 25h: our assumption).
TABLE_FACTS = {
    "INTELLIGENT-OCTOPUS-GO": (("23:30–05:30",), 0, True),
    "OCTOPUS-GO": (("00:30–04:30",), 0, False),
    "OCTOPUS-AGILE": ((), 0, False),
    "OVO-CHARGE-ANYTIME": ((), 0, True),
    "EON-NEXT-DRIVE": (("00:00–07:00",), 75, True),
    "EDF-GOELECTRIC-35": (("00:00–05:00",), 75, True),
    "EDF-GOELECTRIC-25": (("01:00–04:00", "13:00–15:00 sat,sun"), 75, True),
    "EDF-GOELECTRIC-OVERNIGHT": (("00:00–07:00",), 75, True),
    "BG-ELECTRIC-DRIVER": (("00:00–05:00",), 50, True),
    "SP-EV-SAVER": (("00:00–04:00",), 75, True),
}
# Agile standing charges, p/day exc VAT (facts-tariffs-and-data.md §3.2).
AGILE_STANDING = {
    "A": 46.4649,
    "B": 52.2352,
    "C": 37.6525,
    "D": 62.7004,
    "E": 58.6296,
    "F": 66.7126,
    "G": 47.6032,
    "H": 59.2617,
    "J": 53.1292,
    "K": 59.1087,
    "L": 62.9201,
    "M": 63.1074,
    "N": 59.1606,
    "P": 57.0745,
}


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def rates_of(tariff: Tariff) -> Iterator[tuple[str, RegionalRate]]:
    for i, band in enumerate(tariff.bands):
        yield f"bands[{i}]", band.rate
    if tariff.standing_charge is not None:
        yield "standing_charge", tariff.standing_charge
    if tariff.add_on is not None:
        yield "add_on.ev_rate", tariff.add_on.ev_rate


def offpeak_mask(tariff: Tariff, timeline: Timeline) -> np.ndarray:
    mask = np.zeros(timeline.n_periods, dtype=bool)
    for band in tariff.bands:
        mask |= band.window_mask(timeline)
    return mask


# -- contents --
def test_catalogue_holds_every_tariff_of_the_reference_table() -> None:
    assert set(CAT.codes()) == set(EV_TABLE.values()) | OTHERS
    assert len(CAT) == len(EV_TABLE) + len(OTHERS) == len(list(CAT))
    assert {t.code for t in CAT.add_ons()} == {"OVO-CHARGE-ANYTIME", "POWER-PACK"}
    assert {t.code for t in CAT.exports()} == {
        "OUTGOING-OCTOPUS",
        "OCTOPUS-SEG",
        "PRIME-OUTGOING",
        "AGILE-OUTGOING",
    }
    assert len(CAT.imports()) == 12


@pytest.mark.skipif(
    not (REFERENCE / "uk-ev-tariffs-2026.txt").exists(), reason="shared reference pages absent"
)
def test_reference_table_rows_are_the_ones_mapped() -> None:
    text = (REFERENCE / "uk-ev-tariffs-2026.txt").read_text(encoding="utf-8")
    rows = [line.split("|")[1].strip() for line in text.splitlines() if line.startswith("| ")]
    assert rows[1:] == list(EV_TABLE)  # rows[0] is the header


@pytest.mark.parametrize("code", list(TABLE_FACTS))
def test_windows_exit_fees_and_requirements_follow_the_table(code: str) -> None:
    tariff = CAT.get(code)
    windows, exit_fee_gbp, ev_proof = TABLE_FACTS[code]
    assert tuple(str(w) for b in tariff.bands for w in b.windows) == windows
    assert tariff.exit_fee_pence_per_fuel == exit_fee_gbp * 100
    req = tariff.requirements
    assert req.ev_proof is ev_proof
    assert req.smart_meter == {"SMETS2"}
    assert not req.prepayment_allowed
    assert req.regions == set(REGIONS)  # GB only: Northern Ireland is a different market
    assert tariff.direction is Direction.IMPORT
    assert tariff.vat_applies
    assert any(s.ref.startswith("EVT-2026: ") for s in tariff.sources)


def test_structures_and_special_rules() -> None:
    iog = CAT.get("INTELLIGENT-OCTOPUS-GO")
    assert iog.structure is Structure.SMART_SESSION
    assert iog.smart == SmartRules(offpeak_band="off-peak", cap_hours=6.0, cap_day_start_minute=720)
    assert iog.requirements.compatible_ev_or_charger
    assert CAT.get("OCTOPUS-AGILE").price_series == "agile_import"
    assert CAT.get("AGILE-OUTGOING").price_series == "agile_export"
    assert all(t.standing_charge is None and not t.vat_applies for t in CAT.exports())
    go = CAT.get("OCTOPUS-GO")
    assert any("00:30 - 05:30" in n for n in go.notes)  # the API/table disagreement is recorded


def test_power_pack_rules() -> None:
    pack = CAT.get("POWER-PACK")
    rules = pack.add_on
    assert rules is not None
    assert pack.standing_charge is None
    assert rules.ev_rate.for_region("P").latest().value_exc_vat == 0.0
    assert rules.requires_bidirectional
    assert not rules.car_export_paid
    req = pack.requirements
    assert req.v2g_hardware
    assert req.export_permission_g99
    assert req.compatible_ev_or_charger
    octopus_imports = {t.code for t in CAT.imports() if t.supplier == pack.supplier}
    assert {c for c in octopus_imports if rules.import_compatible(c)} == {"FLEXIBLE-OCTOPUS", "OCTOPUS-GO"}
    assert {t.code for t in CAT.exports() if not rules.export_compatible(t.code)} == {"AGILE-OUTGOING"}


def test_charge_anytime_sits_on_the_ovo_base_tariff() -> None:
    anytime = CAT.get("OVO-CHARGE-ANYTIME")
    assert anytime.add_on is not None
    assert anytime.standing_charge is None
    assert anytime.add_on.import_compatible("OVO-BASE-FLAT")
    assert not anytime.add_on.import_compatible("FLEXIBLE-OCTOPUS")
    rate = anytime.add_on.ev_rate.for_region("C").latest()
    assert rate.value_exc_vat == 6.6667
    assert round(rate.value_exc_vat * 1.05, 2) == 7.0
    assert rate.source.indicative  # "verify live"


# -- every number is sourced and dated --
def test_every_number_has_a_source_with_a_checked_date() -> None:
    checked = []
    for tariff in CAT:
        assert tariff.sources, tariff.code  # windows, exit fees, requirements
        for name, rate in rates_of(tariff):
            for source in rate.sources():
                assert re.match(r"^[A-Z0-9-]+: \S", source.ref), (tariff.code, name, source.ref)
                assert date(2021, 1, 1) <= source.checked <= date(2026, 11, 30), (tariff.code, name)
                if source.indicative:
                    assert source.note, f"{tariff.code} {name}: an indicative figure must say why"
                checked.append(source.checked)
    assert len(checked) > 150
    assert date(2026, 10, 5) in checked
    assert date(2026, 5, 1) in checked


def test_quoted_inc_vat_figures_are_stored_divided_by_1_05() -> None:
    seen = 0
    for tariff in CAT:
        for _, rate in rates_of(tariff):
            for history in [rate.default, *rate.by_region.values()]:
                for entry in history.entries if history else ():
                    match = re.search(r"quoted ([\d.]+) p inc 5% VAT", entry.source.note)
                    if match:
                        assert entry.value_exc_vat == round(float(match[1]) / 1.05, 4)
                        seen += 1
    assert seen >= 20


def test_rate_boundaries_fall_on_local_midnight() -> None:
    for tariff in CAT:
        for name, rate in rates_of(tariff):
            for history in [rate.default, *rate.by_region.values()]:
                for entry in history.entries if history else ():
                    for moment in (entry.valid_from, entry.valid_to):
                        if moment is not None:
                            local = moment.astimezone(LONDON)
                            assert (local.hour, local.minute) == (0, 0), (tariff.code, name, moment)


def test_whole_catalogue_is_indicative_where_it_should_be() -> None:
    assert not CAT.get("OCTOPUS-AGILE").indicative  # quoted standing charges, prices from the series
    assert not CAT.get("OCTOPUS-SEG").indicative
    for code in ("OCTOPUS-GO", "EDF-GOELECTRIC-25", "PRICE-CAP-SVT", "OVO-BASE-FLAT"):
        assert CAT.get(code).indicative, code


# -- regions --
def test_every_rate_resolves_in_all_14_regions() -> None:
    for tariff in CAT:
        for name, rate in rates_of(tariff):
            for region in REGIONS:
                history = rate.for_region(region)
                assert history.entries, (tariff.code, name, region)
                assert np.isfinite(history.latest().value_exc_vat)


@pytest.mark.parametrize("code", ["OCTOPUS-AGILE", "OCTOPUS-GO", "EON-NEXT-DRIVE"])
def test_standing_charges_follow_the_agile_regional_table(code: str) -> None:
    standing = CAT.get(code).standing_charge
    assert standing is not None
    got = {r: standing.for_region(r).at(utc(2026, 5, 1)).value_exc_vat for r in REGIONS}
    assert got == AGILE_STANDING
    assert standing.for_region("C").latest().source.indicative is (code != "OCTOPUS-AGILE")


def test_flexible_octopus_region_c_is_quoted_and_other_regions_borrow_it() -> None:
    flex = CAT.get("FLEXIBLE-OCTOPUS")
    unit, standing = flex.default_band.rate, flex.standing_charge
    assert standing is not None
    summer = utc(2026, 8, 1)
    c, a = unit.for_region("C").at(summer), unit.for_region("A").at(summer)
    assert c.value_exc_vat == a.value_exc_vat == 25.0927
    assert not c.source.indicative
    assert a.source.indicative
    assert standing.for_region("C").at(summer).value_exc_vat == 39.5209
    assert standing.for_region("A").at(summer).value_exc_vat == AGILE_STANDING["A"]
    # the quarter changes at local midnight: 1 Oct 2026 00:00 BST = 30 Sep 23:00Z
    assert unit.for_region("C").at(utc(2026, 9, 30, 22, 30)).value_exc_vat == 25.0927
    assert unit.for_region("C").at(utc(2026, 9, 30, 23, 0)).value_exc_vat == 26.5956
    assert unit.for_region("C").at(utc(2030, 1, 1)).value_exc_vat == 26.5956  # open-ended


def test_price_cap_history_by_quarter() -> None:
    cap = CAT.get("PRICE-CAP-SVT")
    unit = cap.default_band.rate.for_region("M")
    assert round(unit.at(utc(2026, 5, 1)).value_exc_vat * 1.05, 2) == 24.67
    assert unit.at(utc(2026, 3, 31, 22, 30)).value_exc_vat == 26.3714  # 23:30 BST, still Q1
    assert unit.at(utc(2026, 3, 31, 23, 0)).value_exc_vat == 23.4952
    assert unit.at(utc(2026, 11, 1)).value_exc_vat == 26.32  # quoted exc VAT
    with pytest.raises(TariffError, match="no rate in force"):
        unit.at(utc(2025, 3, 1))  # Jan–Jun 2025 is not in the sources
    timeline = local_days(date(2026, 9, 30), date(2026, 10, 2))
    assert set(unit.over(timeline)[:48]) == {24.8667}
    assert set(unit.over(timeline)[48:]) == {26.32}


def test_export_history() -> None:
    outgoing = CAT.get("OUTGOING-OCTOPUS").default_band.rate.for_region("C")
    assert outgoing.at(utc(2022, 5, 1)).value_exc_vat == 7.5
    assert outgoing.at(utc(2026, 2, 28, 23, 30)).value_exc_vat == 15.0
    assert outgoing.at(utc(2026, 3, 1)).value_exc_vat == 12.0
    prime = CAT.get("PRIME-OUTGOING")
    day = local_day(date(2026, 7, 1))
    assert prime.band("peak").rate.for_region("C").over(day)[0] == 16.0
    assert prime.band("peak").window_mask(day).sum() == 6


# -- local windows on the clock-change days --
# Counting rule: a period is off-peak when its *local clock* start is inside the window. On 2025-10-26 the
# local 01:00–02:00 hour happens twice and both occurrences count; on 2025-03-30 it never happens.
# Both days are Sundays, so compare with an ordinary Sunday. (normal, March, October) half-hours:
OFFPEAK_HALF_HOURS = {
    "INTELLIGENT-OCTOPUS-GO": (12, 10, 14),  # 00:00–05:30 + 23:30
    "OCTOPUS-GO": (8, 6, 10),
    "EON-NEXT-DRIVE": (14, 12, 16),
    "EDF-GOELECTRIC-35": (10, 8, 12),
    "EDF-GOELECTRIC-25": (10, 8, 12),  # 01:00–04:00 + 13:00–15:00 on Sundays
    "EDF-GOELECTRIC-OVERNIGHT": (14, 12, 16),
    "BG-ELECTRIC-DRIVER": (10, 8, 12),
    "SP-EV-SAVER": (8, 6, 10),
    "PRIME-OUTGOING": (6, 6, 6),
}
DAYS = (date(2025, 10, 19), date(2025, 3, 30), date(2025, 10, 26))


@pytest.mark.parametrize("code", list(OFFPEAK_HALF_HOURS))
def test_windows_on_both_clock_change_days(code: str) -> None:
    tariff = CAT.get(code)
    counts = tuple(int(offpeak_mask(tariff, local_day(d)).sum()) for d in DAYS)
    assert tuple(local_day(d).n_periods for d in DAYS) == (48, 46, 50)
    assert counts == OFFPEAK_HALF_HOURS[code]


def test_eon_october_window_ends_at_local_07_00() -> None:
    day = local_day(date(2025, 10, 26))
    mask = offpeak_mask(CAT.get("EON-NEXT-DRIVE"), day)
    # 16 periods from 23:00Z (00:00 BST) to 07:00Z (07:00 GMT): eight real hours, seven on the clock
    assert np.flatnonzero(mask).tolist() == list(range(16))
    assert day.period_start(16) == utc(2025, 10, 26, 7, 0)


def _reference_offpeak(tariff: Tariff, timeline: Timeline) -> list[bool]:
    """Independent check with zoneinfo: local clock at each period start against the window text."""
    out = []
    for i in range(timeline.n_periods):
        local = timeline.period_start(i).astimezone(LONDON)
        minute = local.hour * 60 + local.minute
        inside = False
        for band in tariff.bands:
            for window in band.windows:
                a, b = window.start_minute, window.end_minute
                if a < b:
                    inside |= a <= minute < b and local.weekday() in window.weekdays
                else:  # crosses midnight: the morning part belongs to the previous local day's window
                    opened = local.weekday() if minute >= a else (local.weekday() - 1) % 7
                    inside |= (minute >= a or minute < b) and opened in window.weekdays
        out.append(inside)
    return out


@settings(max_examples=25, deadline=None)
@given(first=st.dates(date(2024, 1, 1), date(2027, 12, 28)), code=st.sampled_from(list(OFFPEAK_HALF_HOURS)))
def test_windows_match_an_independent_local_clock_reference(first: date, code: str) -> None:
    tariff = CAT.get(code)
    timeline = local_days(first, first + timedelta(days=3))
    assert offpeak_mask(tariff, timeline).tolist() == _reference_offpeak(tariff, timeline)


@pytest.mark.parametrize("first", [date(2025, 3, 30), date(2025, 10, 26)])
def test_reference_agrees_on_clock_change_days(first: date) -> None:
    for code in OFFPEAK_HALF_HOURS:
        timeline = local_days(first - timedelta(days=1), first + timedelta(days=2))
        assert offpeak_mask(CAT.get(code), timeline).tolist() == _reference_offpeak(CAT.get(code), timeline)


def test_edf_weekly_off_peak_hours() -> None:
    def hours(code: str, monday: date) -> float:
        return float(offpeak_mask(CAT.get(code), local_days(monday, monday + timedelta(days=7))).sum()) / 2

    assert hours("EDF-GOELECTRIC-25", date(2025, 6, 2)) == 25.0
    assert hours("EDF-GOELECTRIC-35", date(2025, 6, 2)) == 35.0
    # the clock-change Sundays add or drop the repeated/missing 01:00 hour of the nightly slot
    assert hours("EDF-GOELECTRIC-25", date(2025, 10, 20)) == 26.0
    assert hours("EDF-GOELECTRIC-25", date(2025, 3, 24)) == 24.0


# -- Catalogue API --
def test_get_is_case_insensitive_and_cached() -> None:
    assert CAT.get(" octopus-go ") is CAT.get("OCTOPUS-GO")
    assert "octopus-agile" in CAT
    assert "NOPE" not in CAT
    assert load_catalogue() is CAT
    assert CAT.origin("EDF-GOELECTRIC-25") == "tariffs/data/edf.toml"


@pytest.mark.parametrize(
    ("asked", "suggested"),
    [("OCTOPUS-GOO", "OCTOPUS-GO"), ("agile", "OCTOPUS-AGILE"), ("Octopus Power Pack", "POWER-PACK")],
)
def test_unknown_code_lists_close_matches(asked: str, suggested: str) -> None:
    with pytest.raises(UnknownTariffError, match="evflex tariffs list") as info:
        CAT.get(asked)
    assert f"did you mean {suggested}" in str(info.value) or f", {suggested}" in str(info.value)
    assert isinstance(info.value, TariffError)
    assert isinstance(info.value, ValueError)


def test_catalogue_rejects_mismatched_keys() -> None:
    with pytest.raises(TariffError, match="does not match"):
        Catalogue({"X": CAT.get("OCTOPUS-GO")})


@pytest.mark.skipif(not (ROOT / "docs/catalogue.md").exists(), reason="docs not present")
def test_docs_table_lists_every_code() -> None:
    text = (ROOT / "docs/catalogue.md").read_text(encoding="utf-8")
    assert [c for c in CAT.codes() if f"`{c}`" not in text] == []


@pytest.mark.skipif(not (ROOT / "docs/catalogue.md").exists(), reason="docs not present")
def test_docs_format_example_loads(tmp_path: Path) -> None:
    text = (ROOT / "docs/catalogue.md").read_text(encoding="utf-8")
    example = text.split("```toml\n", 1)[1].split("```", 1)[0]
    tariff = load_catalogue(write(tmp_path, example)).get("MY-GO")
    assert tariff.requirements.regions == {"A", "C"}
    assert tariff.standing_charge.for_region("C").latest().value_exc_vat == 37.6525  # type: ignore[union-attr]


# -- user files and errors --
BASE = """
[sources.T]
ref = "tests"
checked = 2026-01-01

[[tariffs]]
code = "T-TOU"
name = "Test time of use"
supplier = "Test"
direction = "import"
structure = "time_of_use"
sources = ["T"]

[tariffs.requirements]
smart_meter = ["SMETS2"]
ev_proof = false

[[tariffs.standing_charge.rates]]
value_exc_vat = 40.0
source = "T"

[[tariffs.bands]]
name = "off-peak"
windows = ["00:30-04:30"]

[[tariffs.bands.rates]]
value_exc_vat = 7.1429
quoted_inc_vat = 7.5
source = "T"

[[tariffs.bands]]
name = "peak"

[[tariffs.bands.rates]]
value_exc_vat = 20.0
valid_to = 2026-03-31T23:00:00Z
source = "T"

[[tariffs.bands.rates]]
value_exc_vat = 22.0
valid_from = 2026-03-31T23:00:00Z
source = "T"
"""


def write(tmp_path: Path, text: str, name: str = "test.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_user_file_loads_alone(tmp_path: Path) -> None:
    cat = load_catalogue(write(tmp_path, BASE), include_packaged=False)
    tariff = cat.get("t-tou")
    assert len(cat) == 1
    assert cat.origin("T-TOU").endswith("test.toml")
    peak = tariff.band("peak").rate.for_region("K")
    assert peak.at(utc(2026, 3, 31, 22, 30)).value_exc_vat == 20.0
    assert peak.at(utc(2026, 4, 1)).value_exc_vat == 22.0
    assert tariff.band("off-peak").rate.for_region("C").latest().source.note == "quoted 7.5 p inc 5% VAT"
    assert tariff.band("off-peak").rate.for_region("C").latest().source.ref == "T: tests"


def test_user_files_add_and_override_entries(tmp_path: Path) -> None:
    override = BASE.replace('"T-TOU"', '"OCTOPUS-GO"').replace('"00:30-04:30"', '"00:30-05:30"')
    folder = tmp_path / "mine"
    folder.mkdir()
    write(folder, override, "go.toml")
    write(folder, BASE, "extra.toml")
    cat = load_catalogue([folder])
    assert len(cat) == len(CAT) + 1
    assert [str(w) for w in cat.get("OCTOPUS-GO").band("off-peak").windows] == ["00:30–05:30"]
    assert cat.origin("OCTOPUS-GO").endswith("go.toml")
    assert cat.get("T-TOU").code == "T-TOU"
    assert CAT.get("OCTOPUS-GO").band("off-peak").windows[0].end_minute == 270  # packaged one untouched


def test_edited_user_file_is_reloaded(tmp_path: Path) -> None:
    path = write(tmp_path, BASE)
    first = load_catalogue(path, include_packaged=False)
    assert load_catalogue(path, include_packaged=False) is first
    write(tmp_path, BASE.replace("value_exc_vat = 40.0", "value_exc_vat = 45.25"))
    second = load_catalogue(path, include_packaged=False)
    assert second.get("T-TOU").standing_charge.for_region("C").latest().value_exc_vat == 45.25  # type: ignore[union-attr]


ERRORS = [
    pytest.param(
        'name = "Test time of use"', 'name = "Test time of use', r"not valid TOML: .*line 8", id="toml"
    ),
    pytest.param(
        'name = "off-peak"',
        'name = "off-peak"\ncolour = "red"',
        r"T-TOU: bands\[0\]: unknown key 'colour' \(allowed: .*name, windows\)",
        id="unknown-key",
    ),
    pytest.param(
        '"00:30-04:30"',
        '"25:00-05:00"',
        r"T-TOU: bands\[0\]\.windows\[0\]: '25:00-05:00' is not HH:MM",
        id="bad-window",
    ),
    pytest.param(
        '"00:30-04:30"', '"00:30-04:45"', r"windows\[0\]: '00:30-04:45': .*half-hour", id="not-half-hour"
    ),
    pytest.param(
        '"00:30-04:30"', '"00:30-04:30 funday"', r"windows\[0\]: weekdays 'funday'", id="bad-weekday"
    ),
    pytest.param(
        "valid_from = 2026-03-31T23:00:00Z",
        "valid_from = 2026-03-01T00:00:00Z",
        r"T-TOU: bands\[1\]: rates\[0\] \(always → 2026-03-31T23:00Z\) and rates\[1\] "
        r"\(2026-03-01T00:00Z → open-ended\) overlap",
        id="overlapping-dates",
    ),
    pytest.param(
        "valid_to = 2026-03-31T23:00:00Z",
        "valid_to = 2026-03-31T23:00:00",
        r"bands\[1\]\.rates\[0\]\.valid_to: 2026-03-31T23:00:00 must be UTC written with Z",
        id="naive",
    ),
    pytest.param(
        "value_exc_vat = 40.0",
        "by_region = { C = 40.0, I = 41.0 }",
        r"T-TOU: standing_charge\.rates\[0\]\.by_region\.I: unknown region 'I'",
        id="unknown-region",
    ),
    pytest.param(
        "ev_proof = false",
        'ev_proof = false\nregions = ["C", "NI"]',
        r"requirements\.regions\[1\]: unknown region 'NI' \(Northern Ireland",
        id="northern-ireland",
    ),
    pytest.param(
        "value_exc_vat = 40.0",
        "by_region = { C = 40.0 }",
        r"T-TOU: standing_charge: no rate for region\(s\) A, B, D, ",
        id="region-missing",
    ),
    pytest.param(
        "quoted_inc_vat = 7.5",
        "quoted_inc_vat = 7.9",
        r"bands\[0\]\.rates\[0\]: value_exc_vat 7\.1429 does not match quoted_inc_vat 7\.9 "
        r"at 5% VAT: expected 7\.5238",
        id="vat-quote",
    ),
    pytest.param(
        'sources = ["T"]', 'sources = ["TT"]', r"T-TOU: sources\[0\]: unknown source 'TT'", id="source"
    ),
    pytest.param(
        'name = "peak"',
        'name = "peak"\nwindows = ["04:00-06:00"]',
        r"T-TOU: bands: windows of 'off-peak' and 'peak' overlap \(mon 04:00\)",
        id="band-overlap",
    ),
    pytest.param(
        'structure = "time_of_use"',
        'structure = "flat"',
        r"test\.toml: T-TOU: a flat tariff has one band",
        id="structure",
    ),
    pytest.param('structure = "time_of_use"', 'structure = "dynamic"', r"T-TOU: a dynamic tariff needs price_series",
                 id="structure-parts"),
    pytest.param('supplier = "Test"\n', "", r"T-TOU: missing required key 'supplier'", id="missing"),
    pytest.param(
        "value_exc_vat = 40.0",
        'value_exc_vat = "40"',
        r"standing_charge\.rates\[0\]\.value_exc_vat: Input should be a valid number.*\(got '40'\)",
        id="type",
    ),
    pytest.param(
        'direction = "import"',
        'direction = "imp"',
        r"direction: Input should be 'import' or 'export'",
        id="literal",
    ),
    pytest.param(
        'code = "T-TOU"', 'code = "t tou"', r"t tou: code: code 't tou' must be upper-case", id="code"
    ),
    pytest.param(
        'name = "peak"', 'name = "off-peak"', r"bands: band name 'off-peak' appears twice", id="dup-band"
    ),
]


@pytest.mark.parametrize(("old", "new", "message"), ERRORS)
def test_malformed_files_give_specific_errors(tmp_path: Path, old: str, new: str, message: str) -> None:
    assert old in BASE
    path = write(tmp_path, BASE.replace(old, new, 1))
    with pytest.raises(CatalogueError, match=message) as info:
        load_catalogue(path, include_packaged=False)
    assert str(info.value).startswith(f"{path}: ")
    assert "\n" not in str(info.value)  # one-line CLI errors


def test_shared_tables_and_sources_resolve_across_files(tmp_path: Path) -> None:
    text = BASE.replace('sources = ["T"]', 'sources = ["SLOP-O"]').replace(
        '[[tariffs.standing_charge.rates]]\nvalue_exc_vat = 40.0\nsource = "T"',
        '[tariffs.standing_charge.use]\ntable = "octopus-agile-standing"\n'
        'indicative = true\nnote = "borrowed"',
    )
    tariff = load_catalogue(write(tmp_path, text)).get("T-TOU")
    standing = tariff.standing_charge
    assert standing is not None
    assert standing.for_region("P").latest().value_exc_vat == 57.0745
    assert standing.for_region("P").latest().source.indicative
    assert standing.for_region("P").latest().source.note.endswith("; borrowed")
    assert tariff.sources[0].checked == date(2026, 10, 4)


@pytest.mark.parametrize(
    ("table", "message"),
    [
        (
            "octopus-agile-standng",
            r"standing_charge\.use\.table: unknown rate table 'octopus-agile-standng' "
            r"\(did you mean octopus-agile-standing\?\)",
        ),
        ("ofgem-cap-unit-gb", r"rate table 'ofgem-cap-unit-gb' is in p/kWh, not p/day"),
    ],
)
def test_bad_table_references(tmp_path: Path, table: str, message: str) -> None:
    text = BASE.replace(
        '[[tariffs.standing_charge.rates]]\nvalue_exc_vat = 40.0\nsource = "T"',
        f'[tariffs.standing_charge.use]\ntable = "{table}"',
    )
    with pytest.raises(CatalogueError, match=message):
        load_catalogue(write(tmp_path, text))


def test_duplicate_codes_and_missing_files(tmp_path: Path) -> None:
    twice = BASE + BASE[BASE.index("[[tariffs]]") :]
    with pytest.raises(CatalogueError, match=r"T-TOU: code: appears twice in this file"):
        load_catalogue(write(tmp_path, twice), include_packaged=False)
    with pytest.raises(CatalogueError, match="catalogue file not found"):
        load_catalogue(tmp_path / "nope.toml")
    with pytest.raises(CatalogueError, match="no catalogue files"):
        load_catalogue([], include_packaged=False)


def test_add_on_must_name_catalogue_tariffs(tmp_path: Path) -> None:
    text = (
        BASE
        + """
[[tariffs]]
code = "T-ADDON"
name = "Test add-on"
supplier = "Test"
direction = "import"
structure = "add_on"
sources = ["T"]

[tariffs.requirements]
smart_meter = ["SMETS2"]
ev_proof = true

[tariffs.add_on]
compatible_import = ["T-TOUU"]

[[tariffs.add_on.ev_rate.rates]]
value_exc_vat = 0.0
source = "T"
"""
    )
    with pytest.raises(
        CatalogueError,
        match=r"T-ADDON: add_on\.compatible_import\[0\]: no tariff 'T-TOUU' in the "
        r"catalogue \(did you mean T-TOU\?\)",
    ):
        load_catalogue(write(tmp_path, text), include_packaged=False)
    fixed = load_catalogue(write(tmp_path, text.replace('"T-TOUU"', '"T-TOU"')), include_packaged=False)
    assert [t.code for t in fixed.add_ons()] == ["T-ADDON"]
