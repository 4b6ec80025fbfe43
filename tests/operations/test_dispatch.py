"""Smart-session (Intelligent Octopus Go style) billing edge cases, each bill computed by hand.

Two January days (GMT, 96 half-hours); home 1 kWh every half-hour; off-peak 10p in 23:30–05:30 and in
dispatched slots, peak 30p, standing charge 50p/day, no VAT, 6-hour cap per midday-to-midday period.
The fixed window holds 24 half-hours of the two days (00:00–05:30 and 23:30–24:00, twice).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import numpy as np
import numpy.typing as npt
import pytest

from evflex.billing import BillingContext, LineKind, Supply, bill
from evflex.household.flows import Flows
from evflex.operations.dispatch import DispatchError, billable_smart_slots
from evflex.operations.statement import Account, MonthData, build_statement
from evflex.periods import LocalWindow, Timeline, local_days
from evflex.tariffs.model import Band, Direction, RegionalRate, SmartRules, Source, Structure, Tariff
from evflex.tariffs.vat import VatSchedule

SRC = Source("test: hand-made", date(2026, 11, 1))
IOG = Tariff(
    "INTELLI-TEST",
    "Intelligent test",
    "Test",
    Direction.IMPORT,
    Structure.SMART_SESSION,
    (
        Band("off-peak", RegionalRate.constant(10.0, SRC), (LocalWindow.parse("23:30-05:30"),)),
        Band("peak", RegionalRate.constant(30.0, SRC)),
    ),
    standing_charge=RegionalRate.constant(50.0, SRC),
    smart=SmartRules("off-peak", cap_hours=6.0),
)
TL = local_days(date(2025, 1, 14), date(2025, 1, 16))
BoolArray = npt.NDArray[np.bool_]


def hours(tl: Timeline, start: float, end: float, day: int = 0) -> BoolArray:
    local = tl.local()
    on_day = local.day_ordinal == date(2025, 1, 14).toordinal() + day
    m = local.minute_of_day
    return np.asarray(on_day & (m >= start * 60) & (m < end * 60))


def iog_bill(ev_kwh: npt.NDArray[np.float64], slots: BoolArray) -> dict[str, Decimal]:
    flows = Flows.from_household(TL, np.ones(TL.n_periods), ev_kwh, smart_slots=slots)
    result = bill(Supply(IOG), flows, BillingContext("C", 0.0))
    out = {line.band: line.amount_gbp for line in result.lines if line.kind is LineKind.ENERGY}
    return out | {"total": result.total_gbp}


def test_fixed_window_holds_24_half_hours() -> None:
    assert int(LocalWindow.parse("23:30-05:30").mask(TL).sum()) == 24


def test_whole_home_is_off_peak_in_a_dispatched_slot() -> None:
    slot = hours(TL, 14, 16)  # 4 half-hours; the car draws 3 kWh in each
    ev = np.where(slot, 3.0, 0.0)
    result = iog_bill(ev, billable_smart_slots(slot, np.zeros(TL.n_periods, np.bool_), supplier_fault=False))
    # off-peak: 24 window kWh + 4 × (1 home + 3 car) = 40 kWh × 10p; peak: 108 − 40 = 68 kWh × 30p; £1 standing
    assert result == {"off-peak": Decimal("4.00"), "peak": Decimal("20.40"), "total": Decimal("25.40")}


def test_smart_charging_is_capped_at_six_hours_per_midday_to_midday_period() -> None:
    slot = hours(TL, 12, 20)  # 8 hours of dispatch, 1 kWh of car per half-hour
    result = iog_bill(np.where(slot, 1.0, 0.0), slot)
    # only 12:00–18:00 (12 half-hours × 2 kWh) is off-peak: 24 + 24 = 48 kWh × 10p; peak 112 − 48 = 64 × 30p
    assert result == {"off-peak": Decimal("4.80"), "peak": Decimal("19.20"), "total": Decimal("25.00")}


def test_boost_and_unscheduled_draw_pay_peak() -> None:
    slot = hours(TL, 14, 15)
    boost = hours(TL, 17, 18)  # the driver boosts: not a dispatched slot
    result = iog_bill(np.where(slot | boost, 3.0, 0.0), slot)
    # off-peak: 24 + 2 × 4 = 32 kWh; peak: 108 − 32 = 76 kWh (the boost's 6 kWh and the home beside it)
    assert result == {"off-peak": Decimal("3.20"), "peak": Decimal("22.80"), "total": Decimal("27.00")}


@pytest.mark.parametrize(
    ("supplier_fault", "off_peak", "peak", "total"),
    [
        (False, "2.40", "25.20", "28.60"),  # unscheduled: only the fixed window's 24 kWh is off-peak
        (True, "4.00", "20.40", "25.40"),  # credited: billed as the plan (the first test's bill)
    ],
)
def test_outage_makes_the_draw_unscheduled_unless_the_supplier_is_at_fault(
    supplier_fault: bool, off_peak: str, peak: str, total: str
) -> None:
    planned = hours(TL, 14, 16)
    outage = hours(TL, 13, 17)  # the chargepoint's API was down around the whole plan
    ev = np.where(planned, 3.0, 0.0)  # the car charged anyway (the charger fell back to its own schedule)
    slots = billable_smart_slots(planned, outage, supplier_fault=supplier_fault)
    assert int(slots.sum()) == (4 if supplier_fault else 0)
    assert iog_bill(ev, slots) == {"off-peak": Decimal(off_peak), "peak": Decimal(peak), "total": Decimal(total)}


def test_supplier_fault_credits_the_draw_the_outage_moved() -> None:
    planned = hours(TL, 14, 15)  # planned, but the car could not be started then
    outage = hours(TL, 13, 17)
    ev = np.where(hours(TL, 16, 17), 3.0, 0.0)  # it charged at 16:00–17:00 instead, inside the outage
    credited = billable_smart_slots(planned, outage, supplier_fault=True, ev_charge_kwh=ev)
    assert np.array_equal(credited, planned | hours(TL, 16, 17))
    # import 96 + 6 = 102 kWh; off-peak: 24 + 2 × 1 (home in the planned slot) + 2 × 4 = 34 kWh; peak 68 kWh
    assert iog_bill(ev, credited) == {"off-peak": Decimal("3.40"), "peak": Decimal("20.40"), "total": Decimal("24.80")}
    customer_side = billable_smart_slots(planned, outage, supplier_fault=False, ev_charge_kwh=ev)
    assert not customer_side.any()
    # off-peak: the window's 24 kWh; peak 78 kWh
    assert iog_bill(ev, customer_side) == {
        "off-peak": Decimal("2.40"), "peak": Decimal("23.40"), "total": Decimal("26.80")
    }


def test_dispatch_slots_reach_a_statement() -> None:
    slot = hours(TL, 14, 16)
    ev = np.where(slot, 3.0, 0.0)
    net = 1.0 + ev
    zero = np.zeros(TL.n_periods)
    data = MonthData(TL, net, zero, ev, zero, smart_slots=billable_smart_slots(slot, zero, supplier_fault=False))
    s = build_statement(Account("A", "B", "C"), Supply(IOG), data, vat=VatSchedule.constant(0.0))
    assert s.total_gbp == Decimal("25.40")


def test_misaligned_masks_are_refused() -> None:
    with pytest.raises(DispatchError, match="one value per period"):
        billable_smart_slots(np.zeros(4, np.bool_), np.zeros(5, np.bool_), supplier_fault=False)
    with pytest.raises(DispatchError, match="true/false"):
        billable_smart_slots(np.array([0, 2]), np.zeros(2), supplier_fault=False)
    with pytest.raises(DispatchError, match="finite kWh"):
        billable_smart_slots(np.zeros(2, np.bool_), np.ones(2, np.bool_), supplier_fault=True,
                             ev_charge_kwh=np.array([1.0, -1.0]))
