"""Tariff model, catalogue and imports."""

from evflex.tariffs.model import (
    REGION_NAMES,
    REGIONS,
    AddOnRules,
    Band,
    DatedRate,
    Direction,
    RateHistory,
    RegionalRate,
    Requirements,
    SmartRules,
    Source,
    Structure,
    Tariff,
    TariffError,
    check_region,
)

__all__ = [
    "REGIONS",
    "REGION_NAMES",
    "AddOnRules",
    "Band",
    "DatedRate",
    "Direction",
    "RateHistory",
    "RegionalRate",
    "Requirements",
    "SmartRules",
    "Source",
    "Structure",
    "Tariff",
    "TariffError",
    "check_region",
]
