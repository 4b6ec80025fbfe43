"""VAT on domestic electricity as a dated schedule of fractions (``0.05`` = 5 %).

Catalogue rates are stored exc VAT; a bill applies ``inc = exc × (1 + vat(t))`` per half-hour with the VAT in
force at the period's start, so a bill spanning a VAT change is priced correctly on each side. Export carries
no VAT: whether a tariff is taxed is :attr:`Tariff.vat_applies <evflex.tariffs.model.Tariff.vat_applies>`,
not the schedule's business.

The default schedule is 5 %, then **0 % from 2026-10-01 00:00 BST (2026-09-30T23:00Z) to 2027-04-01 00:00
BST (2027-03-31T23:00Z)**, then 5 % again. The 0 % period has a single, secondary source (a live-API report
citing gov.uk "Breathing space on your energy bill", 26 Aug 2026); no primary confirmation was found, so it
is marked indicative. Use :meth:`VatSchedule.constant` for presets that assume one rate throughout.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

import numpy as np
import numpy.typing as npt

from evflex.periods import Timeline
from evflex.tariffs.model import DatedRate, RateHistory, Source, TariffError

__all__ = ["DOMESTIC_ELECTRICITY_VAT", "VatSchedule", "vat_fraction_over"]

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class VatSchedule:
    """VAT fractions over time: a :class:`RateHistory` whose values are fractions in ``[0, 1)``."""

    history: RateHistory

    def __post_init__(self) -> None:
        for entry in self.history.entries:
            if not 0.0 <= entry.value_exc_vat < 1.0:
                raise TariffError(
                    f"VAT fraction {entry.value_exc_vat} is outside [0, 1): write 5 % as 0.05, not 5"
                )

    @classmethod
    def constant(cls, fraction: float, source: Source | None = None) -> VatSchedule:
        """One rate for all time, e.g. ``VatSchedule.constant(0.05)`` for a preset's stated assumption."""
        src = source or Source(
            "assumption: constant VAT rate",
            date(1970, 1, 1),
            indicative=False,
            note=f"{fraction:.0%} throughout, as stated by the caller",
        )
        return cls(RateHistory.constant(fraction, src))

    def fraction_at(self, moment: datetime) -> float:
        """The VAT fraction in force at ``moment``."""
        return self.history.at(moment).value_exc_vat

    def fraction_over(self, timeline: Timeline, as_of: datetime | None = None) -> FloatArray:
        """VAT fraction per period of ``timeline`` (by period start); with ``as_of``, that moment's rate."""
        return self.history.over(timeline, as_of)

    def inc_vat(self, value_exc_vat: FloatArray, timeline: Timeline) -> FloatArray:
        """``value_exc_vat × (1 + VAT)`` per period (values aligned to ``timeline``)."""
        values = np.asarray(value_exc_vat, dtype=np.float64)
        if values.shape != (timeline.n_periods,):
            raise TariffError(
                f"{values.size} values (shape {values.shape}) for a timeline of {timeline.n_periods} periods"
            )
        return values * (1.0 + self.fraction_over(timeline))

    @property
    def sources(self) -> tuple[Source, ...]:
        return tuple(e.source for e in self.history.entries)


_SLOP = (
    "SLOP-O/SLOP-A: https://github.com/zackpollard/slop docs/solar-calculator/REPORT-octopus.md and "
    "REPORT-agile.md (citing gov.uk 'Breathing space on your energy bill', 26 Aug 2026)"
)
_STANDARD = Source(
    _SLOP, date(2026, 10, 4), note="the reduced 5 % rate before and after the 0 % period (§1.4)"
)
_ZERO = Source(
    _SLOP,
    date(2026, 10, 4),
    indicative=True,
    note="single secondary source (facts-tariffs-and-data.md §1.4); no primary gov.uk confirmation found",
)
_ZERO_FROM = datetime(2026, 9, 30, 23, 0, tzinfo=UTC)  # 2026-10-01 00:00 BST
_ZERO_TO = datetime(2027, 3, 31, 23, 0, tzinfo=UTC)  # 2027-04-01 00:00 BST

DOMESTIC_ELECTRICITY_VAT = VatSchedule(
    RateHistory(
        (
            DatedRate(0.05, _STANDARD, valid_to=_ZERO_FROM),
            DatedRate(0.0, _ZERO, valid_from=_ZERO_FROM, valid_to=_ZERO_TO),
            DatedRate(0.05, _STANDARD, valid_from=_ZERO_TO),
        )
    )
)
"""Domestic electricity: 5 %, 0 % for 2026-10-01…2027-03-31 (local dates), then 5 %."""


def vat_fraction_over(
    timeline: Timeline, schedule: VatSchedule = DOMESTIC_ELECTRICITY_VAT, as_of: datetime | None = None
) -> FloatArray:
    """VAT fraction per period of ``timeline`` under ``schedule`` (default: domestic electricity)."""
    return schedule.fraction_over(timeline, as_of)
