from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evflex.billing import (
    BillingContext,
    IncompatibleSupplyError,
    LineKind,
    MissingPriceSeriesError,
    Supply,
    bill,
)
from evflex.household.flows import Flows
from evflex.periods import LONDON, LocalWindow, Timeline, local_day, local_days, local_year
from evflex.tariffs.model import (
    AddOnRules,
    Band,
    DatedRate,
    Direction,
    RateHistory,
    RegionalRate,
    SmartRules,
    Source,
    Structure,
    Tariff,
)

SRC = Source("test: hand-made", date(2026, 11, 1))


def rate(p: float) -> RegionalRate:
    return RegionalRate.constant(p, SRC)


def flat(code: str = "FLAT", unit: float = 25.0, standing: float = 50.0, **kw: object) -> Tariff:
    return Tariff(
        code,
        code.title(),
        "Test",
        Direction.IMPORT,
        Structure.FLAT,
        (Band("standard", rate(unit)),),
        standing_charge=rate(standing),
        **kw,
    )  # type: ignore[arg-type]


def tou(window: str = "00:30-04:30", off: float = 7.0, peak: float = 30.0, standing: float = 50.0) -> Tariff:
    return Tariff(
        "TOU",
        "Two-rate",
        "Test",
        Direction.IMPORT,
        Structure.TIME_OF_USE,
        (Band("off-peak", rate(off), (LocalWindow.parse(window),)), Band("peak", rate(peak))),
        standing_charge=rate(standing),
    )


def iog(cap_hours: float | None = 6.0) -> Tariff:
    return Tariff(
        "INTELLI-TEST",
        "Intelligent",
        "Test",
        Direction.IMPORT,
        Structure.SMART_SESSION,
        (Band("off-peak", rate(7.0), (LocalWindow.parse("23:30-05:30"),)), Band("peak", rate(30.0))),
        standing_charge=rate(50.0),
        smart=SmartRules("off-peak", cap_hours=cap_hours),
    )


def power_pack() -> Tariff:
    return Tariff(
        "POWER-PACK",
        "Power Pack",
        "Test",
        Direction.IMPORT,
        Structure.ADD_ON,
        add_on=AddOnRules(
            rate(0.0), requires_bidirectional=True, car_export_paid=False, incompatible_import=("AGILE", "INTELLI")
        ),
    )


def export_flat(p: float = 12.0) -> Tariff:
    return Tariff(
        "OUTGOING", "Outgoing", "Test", Direction.EXPORT, Structure.FLAT, (Band("export", rate(p)),), vat_applies=False
    )


def gbp(pence: float) -> Decimal:
    return (Decimal(repr(float(pence))) / 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


kwh_arrays = st.lists(st.floats(0, 5, allow_nan=False), min_size=48, max_size=48)


@settings(max_examples=150, deadline=None)
@given(kwh_arrays, st.floats(0.01, 80), st.floats(0, 120), st.sampled_from([0.0, 0.05, 0.2]))
def test_flat_bill_is_kwh_times_rate_plus_days_times_standing_charge(
    kwh: list[float], unit: float, standing: float, vat: float
) -> None:
    tl = local_day(date(2025, 5, 1))
    flows = Flows.from_household(tl, kwh)
    result = bill(Supply(flat(unit=unit, standing=standing)), flows, BillingContext("C", vat))
    closed_form = (sum(kwh) * unit + 1 * standing) * (1 + vat)
    assert abs(result.total_gbp - gbp(closed_form)) <= Decimal("0.01")
    assert result.total_gbp == sum(line.amount_gbp for line in result.lines)


def test_flat_bill_over_a_year_to_the_penny() -> None:
    tl = local_year(2025)
    kwh = np.random.default_rng(7).gamma(2.0, 0.2, tl.n_periods)
    result = bill(Supply(flat(unit=24.5, standing=60.1)), Flows.from_household(tl, kwh), BillingContext("C", 0.05))
    expected = gbp((kwh.sum() * 24.5 + 365 * 60.1) * 1.05)
    assert abs(result.total_gbp - expected) <= Decimal("0.01")
    assert result.quantity(LineKind.STANDING_CHARGE) == 365


def test_time_of_use_bands_by_hand() -> None:
    tl = local_day(date(2025, 7, 1))  # BST: 00:30–04:30 local = 23:30–03:30 UTC
    kwh = np.ones(tl.n_periods)
    result = bill(Supply(tou()), Flows.from_household(tl, kwh), BillingContext("C", 0.0))
    energy = {line.band: line for line in result.lines if line.kind is LineKind.ENERGY}
    assert energy["off-peak"].quantity == 8
    assert energy["off-peak"].amount_gbp == Decimal("0.56")
    assert energy["peak"].quantity == 40
    assert energy["peak"].amount_gbp == Decimal("12.00")
    assert result.total_gbp == Decimal("13.06")


@pytest.mark.parametrize(("day", "offpeak"), [(date(2025, 3, 30), 12), (date(2025, 10, 26), 16)])
def test_time_of_use_on_clock_change_days(day: date, offpeak: int) -> None:
    tl = local_day(day)
    flows = Flows.from_household(tl, np.ones(tl.n_periods))
    result = bill(Supply(tou("00:00-07:00")), flows, BillingContext("C", 0.0))
    energy = {line.band: line.quantity for line in result.lines if line.kind is LineKind.ENERGY}
    assert energy["off-peak"] == offpeak
    assert energy["peak"] == tl.n_periods - offpeak


def test_vat_changes_mid_bill() -> None:
    tl = local_days(date(2026, 9, 30), date(2026, 10, 2))
    vat = np.where(tl.starts() < np.datetime64("2026-09-30T23:00"), 0.05, 0.0)
    flows = Flows.from_household(tl, np.ones(tl.n_periods))
    result = bill(Supply(flat(unit=20.0, standing=40.0)), flows, BillingContext("C", vat))
    # day 1: 48 kWh × 20p + 40p at 5% VAT; day 2 at 0%
    assert result.amount(LineKind.VAT) == Decimal("0.50")
    assert result.total_gbp == Decimal("20.50")


def test_dated_rates_change_inside_a_bill_and_as_of_freezes_them() -> None:
    change = datetime(2025, 7, 1, tzinfo=LONDON)
    history = RateHistory((DatedRate(20.0, SRC, valid_to=change), DatedRate(30.0, SRC, valid_from=change)))
    tariff = Tariff(
        "DATED",
        "Dated",
        "Test",
        Direction.IMPORT,
        Structure.FLAT,
        (Band("standard", RegionalRate(history)),),
        standing_charge=rate(0.0),
    )
    tl = local_days(date(2025, 6, 30), date(2025, 7, 2))
    flows = Flows.from_household(tl, np.ones(tl.n_periods))
    assert bill(Supply(tariff), flows, BillingContext("C", 0.0)).total_gbp == Decimal("24.00")
    frozen = BillingContext("C", 0.0, as_of=datetime(2025, 8, 1, tzinfo=UTC))
    assert bill(Supply(tariff), flows, frozen).total_gbp == Decimal("28.80")


def test_smart_slots_price_the_whole_home_off_peak_up_to_the_cap() -> None:
    tl = local_days(date(2025, 1, 14), date(2025, 1, 16))  # GMT, two days
    local = tl.local()
    slots = (
        (local.day_ordinal == date(2025, 1, 14).toordinal())
        & (local.minute_of_day >= 12 * 60)
        & (local.minute_of_day < 20 * 60)
    )  # 8 h of dispatch in the afternoon/evening: only 6 h may be off-peak
    flows = Flows.from_household(tl, np.ones(tl.n_periods), smart_slots=slots)
    result = bill(Supply(iog()), flows, BillingContext("C", 0.0))
    energy = {line.band: line.quantity for line in result.lines if line.kind is LineKind.ENERGY}
    fixed_window = LocalWindow.parse("23:30-05:30").mask(tl).sum()
    assert energy["off-peak"] == fixed_window + 12
    assert energy["peak"] == tl.n_periods - fixed_window - 12
    uncapped = bill(Supply(iog(cap_hours=None)), flows, BillingContext("C", 0.0))
    assert {x.band: x.quantity for x in uncapped.lines if x.kind is LineKind.ENERGY}["off-peak"] == fixed_window + 16


def test_smart_cap_resets_at_midday() -> None:
    tl = local_days(date(2025, 1, 14), date(2025, 1, 16))
    m = tl.local().minute_of_day
    day = tl.local().day_ordinal - date(2025, 1, 14).toordinal()
    # 5 h before midday and 5 h after midday on the same calendar day: two cap periods, all off-peak
    slots = (day == 0) & (((m >= 6 * 60) & (m < 11 * 60)) | ((m >= 13 * 60) & (m < 18 * 60)))
    flows = Flows.from_household(tl, np.ones(tl.n_periods), smart_slots=slots)
    result = bill(Supply(iog()), flows, BillingContext("C", 0.0))
    offpeak = {x.band: x.quantity for x in result.lines if x.kind is LineKind.ENERGY}["off-peak"]
    assert offpeak == LocalWindow.parse("23:30-05:30").mask(tl).sum() + 20


def _v2g_flows(tl: Timeline, home: np.ndarray, ev_c: np.ndarray, ev_d: np.ndarray, solar: np.ndarray) -> Flows:
    return Flows.from_household(tl, home, ev_c, ev_d, solar)


@settings(max_examples=100, deadline=None)
@given(kwh_arrays, kwh_arrays, kwh_arrays, kwh_arrays)
def test_v2g_add_on_separates_the_car_from_the_home(
    home: list[float], ev_c: list[float], ev_d: list[float], solar: list[float]
) -> None:
    tl = local_day(date(2025, 6, 1))
    supply = Supply(flat("VAR-FLEX", unit=26.0, standing=40.0), export_flat(12.0), power_pack())
    ctx = BillingContext("C", 0.05)
    zeros = np.zeros(tl.n_periods)
    with_car = bill(supply, _v2g_flows(tl, np.array(home), np.array(ev_c), np.array(ev_d), np.array(solar)), ctx)
    without = bill(supply, _v2g_flows(tl, np.array(home), zeros, zeros, np.array(solar)), ctx)
    # EV charging is free and car export unpaid: the bill is the same with and without the car
    assert with_car.total_gbp == without.total_gbp
    assert with_car.amount(LineKind.ENERGY) == without.amount(LineKind.ENERGY)
    assert with_car.amount(LineKind.EXPORT_CREDIT) == without.amount(LineKind.EXPORT_CREDIT)
    assert with_car.amount(LineKind.EV_CHARGING) == -with_car.amount(LineKind.EV_CREDIT)
    # home billed as normal: own net draw × rate, solar export paid at 12p
    net = np.array(home) - np.array(solar)
    expected = (np.maximum(net, 0).sum() * 26.0 + 40.0) * 1.05 - np.maximum(-net, 0).sum() * 12.0
    assert abs(with_car.total_gbp - gbp(float(expected))) <= Decimal("0.02")


def test_v2g_add_on_lines_state_their_meters() -> None:
    tl = local_day(date(2025, 6, 1))
    n = tl.n_periods
    flows = Flows.from_meters(
        tl,
        meter_import_kwh=np.full(n, 0.5),
        meter_export_kwh=np.full(n, 0.1),
        ev_charge_kwh=np.full(n, 0.2),
        ev_discharge_kwh=np.full(n, 0.1),
    )
    b = bill(
        Supply(flat("VAR-FLEX", unit=20.0, standing=0.0), export_flat(10.0), power_pack()),
        flows,
        BillingContext("C", 0.0),
    )
    by_kind = {line.kind: line for line in b.lines}
    # home net = 0.5 − 0.1 − 0.2 + 0.1 = 0.3 kWh per period
    assert by_kind[LineKind.ENERGY].quantity == pytest.approx(0.3 * n)
    assert "charger" in by_kind[LineKind.ENERGY].meter
    assert by_kind[LineKind.EV_CHARGING].meter == "charger"
    assert by_kind[LineKind.CAR_EXPORT].amount_gbp == 0
    assert by_kind[LineKind.CAR_EXPORT].quantity == pytest.approx(0.1 * n)
    assert LineKind.EXPORT_CREDIT not in by_kind  # all export came from the car: unpaid
    assert b.total_gbp == gbp(0.3 * n * 20.0)


def test_plain_supply_pays_meter_export() -> None:
    tl = local_day(date(2025, 6, 1))
    n = tl.n_periods
    flows = Flows.from_household(tl, np.full(n, 0.2), solar_kwh=np.full(n, 0.5))
    b = bill(Supply(flat(unit=20.0, standing=0.0), export_flat(15.0)), flows, BillingContext("C", 0.05))
    assert b.amount(LineKind.EXPORT_CREDIT) == -gbp(0.3 * n * 15.0)
    assert b.amount(LineKind.VAT) == 0


def test_session_add_on_reprices_only_ev_charging() -> None:
    anytime = Tariff(
        "CHARGE-ANYTIME",
        "Charge Anytime",
        "Test",
        Direction.IMPORT,
        Structure.ADD_ON,
        add_on=AddOnRules(rate(7.0), compatible_import=("BASE",)),
    )
    tl = local_day(date(2025, 6, 1))
    n = tl.n_periods
    flows = Flows.from_household(tl, np.full(n, 0.25), ev_charge_kwh=np.r_[np.full(8, 3.0), np.zeros(n - 8)])
    b = bill(Supply(flat("BASE", unit=25.0, standing=50.0), add_on=anytime), flows, BillingContext("C", 0.0))
    assert b.total_gbp == gbp(0.25 * n * 25.0 + 24 * 7.0 + 50.0)
    with pytest.raises(IncompatibleSupplyError, match="cannot sit on"):
        Supply(flat("OTHER"), add_on=anytime)


def test_v2g_add_on_refuses_incompatible_tariffs() -> None:
    with pytest.raises(IncompatibleSupplyError, match="switch import tariff first"):
        Supply(iog(), add_on=power_pack())


def test_dynamic_tariff_needs_its_series() -> None:
    agile = Tariff(
        "AGILE-T",
        "Agile",
        "Test",
        Direction.IMPORT,
        Structure.DYNAMIC,
        price_series="agile_import",
        standing_charge=rate(40.0),
    )
    tl = local_day(date(2025, 6, 1))
    flows = Flows.from_household(tl, np.ones(tl.n_periods))
    with pytest.raises(MissingPriceSeriesError, match="not supplied"):
        bill(Supply(agile), flows, BillingContext("C"))
    prices = np.linspace(-5, 40, tl.n_periods)
    b = bill(Supply(agile), flows, BillingContext("C", 0.0, series={"agile_import": prices}))
    assert b.total_gbp == gbp(prices.sum() + 40.0)
    holes = prices.copy()
    holes[3] = np.nan
    with pytest.raises(MissingPriceSeriesError, match="lacks 1"):
        bill(Supply(agile), flows, BillingContext("C", series={"agile_import": holes}))


def _reference_total(tariff: Tariff, kwh: np.ndarray, tl: Timeline, vat: float) -> Decimal:
    """Period-by-period Decimal reference (slow, independent of the array engine)."""
    total = Decimal(0)
    for i in range(tl.n_periods):
        local = tl.period_start(i).astimezone(LONDON)
        minute = local.hour * 60 + local.minute
        price = None
        for band in tariff.bands:
            for w in band.windows:
                inside = (
                    (w.start_minute <= minute < w.end_minute)
                    if not w.crosses_midnight
                    else (minute >= w.start_minute or minute < w.end_minute)
                )
                if inside and price is None:
                    price = band.rate.for_region("C").at(tl.period_start(i)).value_exc_vat
        if price is None:
            price = tariff.default_band.rate.for_region("C").at(tl.period_start(i)).value_exc_vat
        total += Decimal(repr(float(kwh[i]))) * Decimal(repr(price))
    assert tariff.standing_charge is not None
    total += tl.n_local_days() * Decimal(repr(tariff.standing_charge.for_region("C").latest().value_exc_vat))
    return (total * (1 + Decimal(repr(vat))) / 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@settings(max_examples=25, deadline=None)
@given(
    st.integers(0, 700),
    st.integers(1, 10),
    st.floats(1, 20),
    st.floats(20, 45),
    st.sampled_from(["00:30-04:30", "23:30-05:30", "00:00-07:00", "13:00-16:00"]),
)
def test_engine_matches_a_slow_decimal_reference(
    first_day: int, days: int, off: float, peak: float, window: str
) -> None:
    start = date(2025, 1, 1).toordinal() + first_day
    tl = local_days(date.fromordinal(start), date.fromordinal(start + days))
    kwh = np.random.default_rng(first_day).gamma(1.5, 0.3, tl.n_periods).round(3)
    tariff = tou(window, off, peak)
    result = bill(Supply(tariff), Flows.from_household(tl, kwh), BillingContext("C", 0.05))
    assert result.total_gbp == _reference_total(tariff, kwh, tl, 0.05)


def test_fleet_billing_matches_household_bills() -> None:
    from evflex.billing.fleet import bill_fleet

    tl = local_days(date(2025, 3, 28), date(2025, 4, 3))  # spans the March clock change
    rng = np.random.default_rng(3)
    imp = rng.gamma(1.2, 0.4, (25, tl.n_periods))
    exp = np.where(rng.random((25, tl.n_periods)) < 0.2, rng.random((25, tl.n_periods)), 0.0)
    change = datetime(2025, 3, 31, tzinfo=LONDON)  # a rate change inside the timeline
    history = RateHistory((DatedRate(20.0, SRC, valid_to=change), DatedRate(30.0, SRC, valid_from=change)))
    dated = Tariff(
        "DATED",
        "Dated",
        "Test",
        Direction.IMPORT,
        Structure.TIME_OF_USE,
        (Band("off-peak", rate(7.0), (LocalWindow.parse("00:30-04:30"),)), Band("peak", RegionalRate(history))),
        standing_charge=rate(45.0),
    )
    vat_changes = np.where(np.arange(tl.n_periods) < tl.n_periods // 2, 0.05, 0.0)
    cases = [
        (Supply(tou("23:30-05:30")), BillingContext("C", 0.05)),  # constant band rates and VAT: fewest columns
        (Supply(flat(), export_flat(12.0)), BillingContext("C", 0.05)),
        (Supply(dated), BillingContext("C", vat_changes)),  # dated rates and a VAT change: full columns
    ]
    for supply, ctx in cases:
        fleet = bill_fleet(supply, imp, ctx, tl, export_kwh=exp)
        for i in range(imp.shape[0]):
            one = bill(supply, Flows.from_meters(tl, imp[i], exp[i]), ctx)
            assert fleet.bill(i).total_gbp == one.total_gbp
            assert [x.amount_gbp for x in fleet.bill(i).lines] == [x.amount_gbp for x in one.lines]
