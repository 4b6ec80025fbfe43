"""Operating a V2G tariff: eligibility, monthly statements, usage-rule compliance and savings estimates.

``eligibility`` checks a customer document against every rule of a catalogue tariff (PASS / FAIL / UNKNOWN
with reasons and next steps); ``compliance`` judges plug-in and charging histories against the V2G
add-on's usage rules, one customer or a whole fleet at once. ``customer`` parses the customer document
(and MPAN); ``rules_data`` loads the compatibility lists and DNO table. See ``docs/operations.md``.
"""

from evflex.operations.compliance import (
    BatchCompliance,
    ComplianceReport,
    ComplianceRules,
    MonthEvidence,
    Status,
    WindowEvidence,
    check_compliance,
    check_compliance_batch,
    classify_misses,
    plugged_in_from_sessions,
)
from evflex.operations.customer import (
    Customer,
    G99Status,
    MeterType,
    PaymentMethod,
    load_customer,
    mpan_check_digit,
    parse_customer,
    parse_mpan,
)
from evflex.operations.dispatch import DispatchError, billable_smart_slots
from evflex.operations.eligibility import (
    Overall,
    Result,
    RuleOutcome,
    Verdict,
    check_all,
    check_eligibility,
    v2g_add_on,
)
from evflex.operations.errors import OperationsError
from evflex.operations.reconcile import ChargerEstimate, Reconciliation, Tolerance
from evflex.operations.rules_data import RulesData, load_rules_data
from evflex.operations.savings import SavingsError, SavingsEstimate, SavingsOption, estimate_savings
from evflex.operations.statement import (
    Account,
    MonthData,
    Statement,
    StatementError,
    build_statement,
    month_timeline,
    read_month_data,
)
from evflex.operations.statement_html import statement_html

__all__ = [
    "Account",
    "BatchCompliance",
    "ChargerEstimate",
    "ComplianceReport",
    "ComplianceRules",
    "Customer",
    "DispatchError",
    "G99Status",
    "MeterType",
    "MonthData",
    "MonthEvidence",
    "OperationsError",
    "Overall",
    "PaymentMethod",
    "Reconciliation",
    "Result",
    "RuleOutcome",
    "RulesData",
    "SavingsError",
    "SavingsEstimate",
    "SavingsOption",
    "Statement",
    "StatementError",
    "Status",
    "Tolerance",
    "Verdict",
    "WindowEvidence",
    "billable_smart_slots",
    "build_statement",
    "check_all",
    "check_compliance",
    "check_compliance_batch",
    "check_eligibility",
    "classify_misses",
    "estimate_savings",
    "load_customer",
    "load_rules_data",
    "month_timeline",
    "mpan_check_digit",
    "parse_customer",
    "parse_mpan",
    "plugged_in_from_sessions",
    "read_month_data",
    "statement_html",
    "v2g_add_on",
]
