"""The operations package's one base exception.

::

    ValueError
    └── OperationsError            bad input to an operations function (customer document, histories, rules)
        ├── StatementError         meter/charger files or a statement request
        ├── ReconciliationError    meter and charger readings that cannot be reconciled at all
        ├── SavingsError           a savings estimate that cannot be made as asked
        └── DispatchError          smart-charging dispatch slots or outage masks
"""

from __future__ import annotations

__all__ = ["OperationsError"]


class OperationsError(ValueError):
    """Bad input to an operations function (customer document, history arrays, rule parameters)."""
