"""Operating a V2G tariff: eligibility at sign-up and usage-rule compliance.

``eligibility`` checks a customer document against every rule of a catalogue tariff (PASS / FAIL / UNKNOWN
with reasons and next steps); ``compliance`` judges plug-in and charging histories against the V2G
add-on's usage rules, one customer or a whole fleet at once. See ``docs/operations.md``.
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
from evflex.operations.eligibility import (
    Customer,
    G99Status,
    MeterType,
    Overall,
    PaymentMethod,
    Result,
    RuleOutcome,
    RulesData,
    Verdict,
    check_all,
    check_eligibility,
    load_customer,
    load_rules_data,
    mpan_check_digit,
    parse_customer,
    parse_mpan,
    v2g_add_on,
)

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
