"""Operating a V2G tariff: eligibility at sign-up and usage-rule compliance.

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
    OperationsError,
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
from evflex.operations.eligibility import (
    Overall,
    Result,
    RuleOutcome,
    Verdict,
    check_all,
    check_eligibility,
    v2g_add_on,
)
from evflex.operations.rules_data import RulesData, load_rules_data

__all__ = [
    "BatchCompliance",
    "ComplianceReport",
    "ComplianceRules",
    "Customer",
    "G99Status",
    "MeterType",
    "MonthEvidence",
    "OperationsError",
    "Overall",
    "PaymentMethod",
    "Result",
    "RuleOutcome",
    "RulesData",
    "Status",
    "Verdict",
    "WindowEvidence",
    "check_all",
    "check_compliance",
    "check_compliance_batch",
    "check_eligibility",
    "classify_misses",
    "load_customer",
    "load_rules_data",
    "mpan_check_digit",
    "parse_customer",
    "parse_mpan",
    "plugged_in_from_sessions",
    "v2g_add_on",
]
