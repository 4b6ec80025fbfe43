"""Price and carbon signals: half-hourly series with gap reports, the Agile formulas, NESO parsing.

Everything here is pure (arrays and payloads in, series out) except :mod:`evflex.signals.shared_data`,
which reads the shared CSV files.
"""

from evflex.signals.agile import (
    CONSTANTS,
    AgileConstants,
    AgilePrices,
    agile_import_p_per_kwh,
    agile_outgoing_p_per_kwh,
    implied_wholesale,
    peak_mask,
    region_shift,
)
from evflex.signals.carbon import (
    CI_REGION_TO_GSP,
    GSP_TO_CI_REGION,
    CarbonIntensity,
    RegionalCarbon,
    parse_national,
    parse_region,
    parse_regional,
)
from evflex.signals.series import (
    Fill,
    Filled,
    Flag,
    GapReport,
    PeriodRange,
    SignalError,
    SignalSeries,
    align,
    fill_gaps,
    from_points,
    mask_suspicious,
)
from evflex.signals.shared_data import (
    AgileImport,
    find_shared_data,
    load_agile_import,
    load_agile_outgoing,
    load_carbon_intensity,
)

__all__ = [
    "CI_REGION_TO_GSP",
    "CONSTANTS",
    "GSP_TO_CI_REGION",
    "AgileConstants",
    "AgileImport",
    "AgilePrices",
    "CarbonIntensity",
    "Fill",
    "Filled",
    "Flag",
    "GapReport",
    "PeriodRange",
    "RegionalCarbon",
    "SignalError",
    "SignalSeries",
    "agile_import_p_per_kwh",
    "agile_outgoing_p_per_kwh",
    "align",
    "fill_gaps",
    "find_shared_data",
    "from_points",
    "implied_wholesale",
    "load_agile_import",
    "load_agile_outgoing",
    "load_carbon_intensity",
    "mask_suspicious",
    "parse_national",
    "parse_region",
    "parse_regional",
    "peak_mask",
    "region_shift",
]
