from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal

import numpy as np
import pytest
import typer
from typer.testing import CliRunner

from evflex.compare.scenario import load_preset
from evflex.household import GENERIC_CCS, GENERIC_SMART_CHARGER_7KW, Household, UsagePattern, default_household
from evflex.operations.savings import SavingsError, estimate_savings
from evflex.operations.statement_cli import savings_command
from evflex.periods import local_days, local_year
from evflex.tariffs.catalogue import load_catalogue

AS_OF = datetime(2026, 6, 1, 11, 0, tzinfo=UTC)  # Flexible Octopus, region C: 23.7107 p/kWh, 42.1768 p/day exc VAT
YEAR = local_year(2025)


def test_default_household_on_flexible_octopus() -> None:
    e = estimate_savings(default_household(), "FLEXIBLE-OCTOPUS", timeline=YEAR, vat_fraction=0.05, as_of=AS_OF)
    cur, pp, iog = e.rows
    # staying: 3,100 kWh of home + 8,000 miles × 0.306 kWh/mile at 23.7107p, 365 days at 42.1768p, +5 % VAT
    assert cur.cost_gbp is not None
    assert abs(float(cur.cost_gbp) - ((3100 + 8000 * 0.306) * 23.7107 + 365 * 42.1768) * 1.05 / 100) <= 0.01
    assert pp.cost_gbp is not None
    assert abs(float(pp.cost_gbp) - (3100 * 23.7107 + 365 * 42.1768) * 1.05 / 100) <= 0.01
    # the add-on makes the car's 8,000 miles × 0.306 kWh/mile = 2,448 kWh free: 2448 × 23.7107p × 1.05
    assert pp.codes == ("FLEXIBLE-OCTOPUS", "POWER-PACK")
    assert pp.saving_gbp == Decimal("609.46")
    assert pp.charging == "v2g_addon"
    # a Leaf on a Quasar 1 is not on Octopus's smart-charging list: no invented figure
    assert not iog.available
    assert "integration list" in iog.reason
    assert e.days == 365
    text = e.summary()
    assert "£609.46" in text
    assert "Intelligent Octopus Go is not available to you" in text
    assert "01 June 2026" in text
    assert json.loads(json.dumps(e.to_dict()))["with_add_on"]["cost_gbp"] == str(pp.cost_gbp)


def test_reproduces_the_tariff_pages_worked_example() -> None:
    """Octopus's Power Pack FAQ: Flexible + Power Pack £1,360/yr, £876 less than a standard variable tariff,
    £172 less than Intelligent Octopus Go (the preset's stated rates)."""
    scenario = load_preset("power-pack-faq")
    catalogue = load_catalogue([scenario.resolve(p) for p in scenario.comparison.tariffs])
    e = estimate_savings(
        scenario.household.build(), "FAQ-SVT", catalogue=catalogue, timeline=YEAR, vat_fraction=0.05, as_of=AS_OF,
        smart_code="FAQ-INTELLIGENT-GO", fallback_base_code="FAQ-FLEXIBLE",
    )
    cur, pp, iog = e.rows
    assert cur.codes == ("FAQ-SVT",)
    assert pp.codes == ("FAQ-FLEXIBLE", "POWER-PACK")
    assert "switches to" in pp.note  # the SVT is not Octopus's: the add-on needs an Octopus base
    assert pp.cost_gbp is not None
    assert iog.cost_gbp is not None
    assert pp.saving_gbp is not None
    assert abs(pp.cost_gbp - 1360) <= 1
    assert abs(pp.saving_gbp - 876) <= 1
    assert abs(iog.cost_gbp - pp.cost_gbp - 172) <= 1


def test_a_one_way_car_gets_intelligent_go_but_not_the_add_on() -> None:
    household = Household(
        region="C", vehicle=GENERIC_CCS, charger=GENERIC_SMART_CHARGER_7KW, usage=UsagePattern(annual_miles=8000),
        g99=True,
    )
    e = estimate_savings(household, "PRICE-CAP-SVT", timeline=YEAR, vat_fraction=0.05, as_of=AS_OF)
    assert not e.with_add_on.available
    assert "discharge" in e.with_add_on.reason
    assert e.intelligent_go.available
    assert e.intelligent_go.saving_gbp is not None
    assert e.intelligent_go.saving_gbp > 0
    assert "is not available to you: needs a car and charger that can discharge" in e.summary()


def test_current_intelligent_go_customer() -> None:
    household = Household(region="C", vehicle=GENERIC_CCS, charger=GENERIC_SMART_CHARGER_7KW, g99=True)
    e = estimate_savings(household, "INTELLIGENT-OCTOPUS-GO", timeline=YEAR, vat_fraction=0.05, as_of=AS_OF)
    assert e.intelligent_go.note == "you are on it already"
    assert e.intelligent_go.saving_gbp == Decimal("0.00")
    assert e.with_add_on.label == "Flexible Octopus + Octopus Power Pack (V2G add-on)"


def test_measured_home_data_over_a_short_period() -> None:
    tl = local_days(date(2025, 6, 1), date(2025, 6, 29))  # 28 days
    home = np.full(tl.n_periods, 0.25)  # 12 kWh a day
    e = estimate_savings(
        default_household(), "FLEXIBLE-OCTOPUS", timeline=tl, vat_fraction=0.0, as_of=AS_OF, measured_home_kwh=home
    )
    assert e.days == 28
    pp = e.with_add_on
    assert pp.cost_gbp is not None
    # the car is free: 28 × 12 kWh × 23.7107p + 28 × 42.1768p
    assert abs(float(pp.cost_gbp) - (28 * 12 * 23.7107 + 28 * 42.1768) / 100) <= 0.01
    assert "over the 28 days of your data" in e.summary()
    assert "your own meter data" in e.summary()


def test_current_tariff_that_cannot_be_costed() -> None:
    with pytest.raises(SavingsError, match="agile_import"):
        estimate_savings(default_household(), "OCTOPUS-AGILE", timeline=YEAR, as_of=AS_OF)


def test_savings_command() -> None:
    app = typer.Typer()
    app.command()(savings_command)
    result = CliRunner().invoke(app, ["--year", "2025", "--as-of", "2026-06-01", "--json"])
    assert result.exit_code == 0, result.output
    d = json.loads(result.output)
    assert d["with_add_on"]["saving_vs_current_gbp"] == "609.46"
    assert d["intelligent_go"]["available"] is False
    bad = CliRunner().invoke(app, ["--current-tariff", "NOPE"])
    assert bad.exit_code == 2
    assert "unknown tariff" in bad.output
