from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest

from evflex.billing import LineKind
from evflex.compare.annual import ComparisonError
from evflex.compare.cli import check_expectations
from evflex.compare.runner import ComparisonInputs, run_comparison
from evflex.compare.scenario import HouseholdSpec, ScenarioError, load_preset, load_scenario
from evflex.household import default_household
from evflex.periods import LocalWindow, local_year
from evflex.tariffs.catalogue import load_catalogue

AS_OF = datetime(2026, 11, 23, 12, tzinfo=UTC)


def _preset_comparison():  # type: ignore[no-untyped-def]
    scenario = load_preset("power-pack-faq")
    tariffs = load_catalogue([scenario.resolve(p) for p in scenario.comparison.tariffs])
    inputs = ComparisonInputs(local_year(scenario.comparison.year), "FAQ-SVT", 0.05, AS_OF)
    selected = [tariffs.get(code) for code in scenario.comparison.only]
    return scenario, run_comparison(scenario.household.build(), selected, inputs)


def test_power_pack_preset_reproduces_the_three_stated_figures() -> None:
    scenario, comparison = _preset_comparison()
    checks = check_expectations(comparison, scenario.expect)
    assert [c.expectation.value for c in checks] == [1360, 876, 172]
    for check in checks:
        assert abs(check.computed - Decimal(check.expectation.value)) <= 1, check
        assert check.ok


def test_power_pack_preset_matches_a_hand_calculation() -> None:
    """4,100 kWh home (13.98% at 7p on IOG), 3,060 kWh of charging, 365 × 51.04p (all inc VAT)."""
    _, comparison = _preset_comparison()
    standing = 365 * 51.04
    svt = (4100 + 3060) * 28.63 + standing
    flexible_pp = 4100 * 28.63 + standing
    iog = 4100 * 0.1398 * 7 + 4100 * (1 - 0.1398) * 30.95 + 3060 * 7 + standing
    costs = {r.supply.name: float(r.annual_cost_gbp) * 100 for r in comparison.results}
    assert costs["Standard variable (FAQ rates)"] == pytest.approx(svt, abs=2)
    assert costs["Flexible Octopus (FAQ rates) + Octopus Power Pack (V2G add-on)"] == pytest.approx(flexible_pp, abs=2)
    # IOG: the car charges inside 23:30–05:30 except the last session of the year, cut off at midnight
    assert costs["Intelligent Octopus Go (FAQ rates)"] == pytest.approx(iog, abs=60)
    iog_bill = comparison.result("FAQ-INTELLIGENT-GO").bill
    assert iog_bill.quantity(LineKind.ENERGY) == pytest.approx(4100 + 3060, abs=0.01)


def test_every_catalogue_tariff_is_costed_or_explained() -> None:
    household = default_household()
    catalogue = load_catalogue()
    inputs = ComparisonInputs(local_year(2025), "PRICE-CAP-SVT", 0.05, AS_OF)
    comparison = run_comparison(household, list(catalogue), inputs)
    costed = {code for r in comparison.results for code in r.supply.codes}
    explained = {x.code for x in comparison.not_applicable}
    imports = {t.code for t in catalogue.imports()} | {t.code for t in catalogue.add_ons()}
    assert imports <= costed | explained
    # no Agile prices for 2025 were given: Agile is explained, not silently dropped
    agile = next(x for x in comparison.not_applicable if x.code == "OCTOPUS-AGILE")
    assert "agile_import" in agile.reason
    for r in comparison.results:
        assert r.saving_gbp == comparison.result("PRICE-CAP-SVT").annual_cost_gbp - r.annual_cost_gbp
    ranked = [r.annual_cost_gbp for r in comparison.results]
    assert ranked == sorted(ranked)


def test_v2g_add_on_is_not_applicable_to_a_one_way_car() -> None:
    household = HouseholdSpec(vehicle="generic-ccs", charger="generic-smart-7kw").build()
    inputs = ComparisonInputs(local_year(2025), "PRICE-CAP-SVT", 0.05, AS_OF)
    comparison = run_comparison(household, list(load_catalogue()), inputs)
    power_pack = next(x for x in comparison.not_applicable if x.code == "POWER-PACK")
    assert "discharge" in power_pack.reason
    assert "Quasar" in power_pack.next_step
    # a one-way car with a smart API can take Intelligent Octopus Go
    assert comparison.result("INTELLIGENT-OCTOPUS-GO").policy == "smart"


def test_smart_tariff_charges_in_cheap_slots_and_flat_on_plug_in() -> None:
    household = HouseholdSpec(vehicle="generic-ccs", charger="generic-smart-7kw").build()
    tl = local_year(2025)
    inputs = ComparisonInputs(tl, "PRICE-CAP-SVT", 0.05, AS_OF)
    comparison = run_comparison(household, list(load_catalogue()), inputs)
    iog = comparison.result("INTELLIGENT-OCTOPUS-GO").bill
    energy = {line.band: line.quantity for line in iog.lines if line.kind is LineKind.ENERGY}
    # the car's 2,448 kWh fit in the off-peak window: off-peak holds the car plus the home's night use
    assert energy["off-peak"] > 8000 * 0.28 * 0.95
    assert LocalWindow.parse("23:30-05:30").mask(tl).mean() == pytest.approx(0.25)


def test_unknown_baseline_is_a_clear_error() -> None:
    inputs = ComparisonInputs(local_year(2025), "NOT-A-TARIFF", 0.05, AS_OF)
    with pytest.raises(ComparisonError, match=r"baseline 'NOT-A-TARIFF' was not costed"):
        run_comparison(default_household(), list(load_catalogue()), inputs)


def test_exit_fee_of_the_current_tariff_is_added_to_switches() -> None:
    inputs = ComparisonInputs(local_year(2025), "EON-NEXT-DRIVE", 0.05, AS_OF, current_code="EON-NEXT-DRIVE", fuels=2)
    comparison = run_comparison(default_household(), list(load_catalogue()), inputs)
    stay = comparison.result("EON-NEXT-DRIVE").bill
    switch = comparison.result("FLEXIBLE-OCTOPUS").bill
    assert stay.amount(LineKind.EXIT_FEE) == 0
    assert switch.amount(LineKind.EXIT_FEE) == Decimal("150.00")


def test_measured_home_load_replaces_the_profile() -> None:
    tl = local_year(2025)
    measured = np.full(tl.n_periods, 0.2)
    household = HouseholdSpec(miles=0).build()
    inputs = ComparisonInputs(tl, "PRICE-CAP-SVT", 0.0, AS_OF, measured_home_kwh=measured)
    comparison = run_comparison(household, list(load_catalogue()), inputs)
    svt = comparison.result("PRICE-CAP-SVT").bill
    assert svt.quantity(LineKind.ENERGY) == pytest.approx(0.2 * tl.n_periods)


def test_scenario_file_errors_name_the_field(tmp_path: Path) -> None:
    bad = tmp_path / "s.toml"
    bad.write_text("[household]\nmiles = -3\n")
    with pytest.raises(ScenarioError, match=r"s.toml: household.miles: Input should be greater than or equal to 0"):
        load_scenario(bad)
    bad.write_text("[household]\ncolour = 'red'\n")
    with pytest.raises(ScenarioError, match=r"household\.colour: Extra inputs are not permitted"):
        load_scenario(bad)
    bad.write_text("[household\n")
    with pytest.raises(ScenarioError, match="is not valid TOML"):
        load_scenario(bad)
    bad.write_text("")
    with pytest.raises(ScenarioError, match="is empty"):
        load_scenario(bad)
    with pytest.raises(ScenarioError, match="unknown preset"):
        load_preset("nope")


def test_rates_past_the_catalogue_are_projected_and_said() -> None:
    later = datetime(2031, 6, 1, 12, tzinfo=UTC)
    inputs = ComparisonInputs(local_year(2025), "PRICE-CAP-SVT", 0.05, later)
    comparison = run_comparison(default_household(), list(load_catalogue()), inputs)
    note = next(a for a in comparison.assumptions if "no rates in force on 2031-06-01" in a)
    assert "Standard variable tariff (Ofgem price cap)" in note
    now = run_comparison(
        default_household(),
        list(load_catalogue()),
        ComparisonInputs(local_year(2025), "PRICE-CAP-SVT", 0.05, datetime(2026, 12, 1, 12, tzinfo=UTC)),
    )
    # the cap's last quarter (Oct–Dec 2026) is what gets projected
    assert comparison.result("PRICE-CAP-SVT").annual_cost_gbp == now.result("PRICE-CAP-SVT").annual_cost_gbp
    assert not any("no rates in force" in a for a in now.assumptions)
