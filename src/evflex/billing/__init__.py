"""Half-hourly bills for every UK tariff structure, including the V2G add-on's rules."""

from evflex.billing.bill import Bill, BillLine, LineKind
from evflex.billing.engine import IncompatibleSupplyError, Supply, bill
from evflex.billing.money import format_gbp, gbp_from_pence
from evflex.billing.prices import BillingContext, MissingPriceSeriesError, PricePlan, resolve_prices

__all__ = [
    "Bill",
    "BillLine",
    "BillingContext",
    "IncompatibleSupplyError",
    "LineKind",
    "MissingPriceSeriesError",
    "PricePlan",
    "Supply",
    "bill",
    "format_gbp",
    "gbp_from_pence",
    "resolve_prices",
]
