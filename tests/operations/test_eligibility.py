"""Eligibility: every rule in PASS, FAIL and UNKNOWN; MPAN and DNO; malformed input; the CLI's exit codes."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from evflex.operations.cli import eligibility_command
from evflex.operations.compliance import OperationsError
from evflex.operations.eligibility import (
    Customer,
    G99Status,
    MeterType,
    Overall,
    PaymentMethod,
    Result,
    Verdict,
    check_all,
    check_eligibility,
    load_customer,
    load_rules_data,
    min_window_hours,
    mpan_check_digit,
    parse_customer,
    parse_mpan,
    v2g_add_on,
)
from evflex.tariffs.catalogue import load_catalogue
from evflex.tariffs.model import (
    REGIONS,
    AddOnRules,
    Band,
    Direction,
    RegionalRate,
    Requirements,
    Source,
    Structure,
    Tariff,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "operations"
SRC = Source("test", date(2026, 1, 1))


# -- tariffs built here, so the rules are tested without the catalogue --------------------------------------
def v2g_tariff(**requirements: Any) -> Tariff:
    """A Power-Pack-shaped add-on; its code picks up the packaged car/charger lists and usage rules."""
    req = Requirements(smart_meter=frozenset({"SMETS2", "SMETS1_MIGRATED"}), compatible_ev_or_charger=True,
                       v2g_hardware=True, export_permission_g99=True)
    return Tariff(
        code="POWER-PACK", name="Test V2G add-on", supplier="Octopus Energy", direction=Direction.IMPORT,
        structure=Structure.ADD_ON, requirements=replace(req, **requirements),
        add_on=AddOnRules(RegionalRate.constant(0.0, SRC), requires_bidirectional=True, car_export_paid=False,
                          incompatible_import=("AGILE", "SILVER", "TRACKER", "INTELLI", "IOG"),
                          incompatible_export=("AGILE-OUTGOING",)),
    )


def flat_tariff(code: str = "TEST-FLAT", **requirements: Any) -> Tariff:
    return Tariff(
        code=code, name="Test flat", supplier="Test Energy", direction=Direction.IMPORT, structure=Structure.FLAT,
        bands=(Band("all", RegionalRate.constant(25.0, SRC)),), standing_charge=RegionalRate.constant(50.0, SRC),
        requirements=Requirements(**requirements),
    )


GOOD = Customer(
    customer_id="good", region="C", vehicle_make="Nissan", vehicle_model="Leaf", charger_model="Wallbox Quasar 1",
    meter_type=MeterType.SMETS2, payment_method=PaymentMethod.DIRECT_DEBIT, import_tariff="FLEXIBLE-OCTOPUS",
    export_tariff="NONE", g99=G99Status.APPROVED, min_soc_percent=20, plug_in_hours=12, plug_in_every_days=2,
    annual_miles=8000,
)


def outcome(customer: Customer, rule: str, tariff: Tariff | None = None) -> tuple[Result, str, str]:
    o = check_eligibility(customer, tariff or v2g_tariff()).outcome(rule)
    return o.result, o.reason, o.next_step


def result(customer: Customer, rule: str, tariff: Tariff | None = None) -> Result:
    return outcome(customer, rule, tariff)[0]


# -- MPAN ----------------------------------------------------------------------------------------------------
def test_mpan_check_digit_by_hand() -> None:
    # 1,2,0,0,0,2,3,3,0,5,9,6 × 3,5,7,13,17,19,23,29,31,37,41,43 = 3+10+38+69+87+185+369+258 = 1019;
    # 1019 mod 11 = 7, mod 10 = 7 → the published example 1200023305967 is valid
    assert mpan_check_digit("120002330596") == 7
    # 1×3 + 7×5 + 1×7 + 2×13 + 3×17 + 4×19 + 5×23 + 6×29 + 7×31 + 8×37 + 9×41 = 1369; 1369 mod 11 = 5
    assert mpan_check_digit("171234567890") == 5
    # 1×3 + 4×43 = 175; 175 mod 11 = 10 → mod 10 = 0 (the second modulus matters)
    assert mpan_check_digit("100000000004") == 0


def test_parse_mpan_valid_forms() -> None:
    assert parse_mpan("1200023305967") == "1200023305967"
    assert parse_mpan(" 12 0002 3305 967 ") == "1200023305967"
    assert parse_mpan("01801100" + "1200023305967") == "1200023305967"  # full 21-digit MPAN: its core
    assert parse_mpan("1000000000040") == "1000000000040"


@pytest.mark.parametrize("bad", ["1200023305968", "1200023305960", "1712345678901"])
def test_parse_mpan_refuses_bad_check_digit(bad: str) -> None:
    with pytest.raises(OperationsError, match="check digit"):
        parse_mpan(bad)


@pytest.mark.parametrize("bad", ["12000233059", "12000233059671", "12000233O5967", ""])
def test_parse_mpan_refuses_wrong_shape(bad: str) -> None:
    with pytest.raises(OperationsError, match="13 digits"):
        parse_mpan(bad)


@pytest.mark.parametrize(
    ("mpan", "region", "dno"),
    [
        ("1200023305967", "C", "UK Power Networks – London Power Networks (LPN)"),
        ("1712345678905", "P", "Scottish and Southern Electricity Networks (SSEN) – Scottish Hydro Electric"),
        ("1000000000040", "A", "UK Power Networks – Eastern Power Networks (EPN)"),
        ("1400000000010", "E", "National Grid Electricity Distribution (ex-WPD) – West Midlands"),
    ],
)
def test_region_and_dno_from_mpan(mpan: str, region: str, dno: str) -> None:
    customer = Customer(mpan=parse_mpan(mpan), g99=G99Status.NOT_APPLIED)
    res, reason, _ = outcome(customer, "region")
    assert res is Result.PASS
    assert f"region {region} " in reason
    assert "MPAN distributor id" in reason
    g99 = check_eligibility(customer, v2g_tariff()).outcome("g99")
    assert dno in g99.next_step
    assert f"the DNO for region {region}, " in g99.next_step
    assert "10–45 working days" in g99.next_step


def test_dno_table_covers_every_region_once() -> None:
    data = load_rules_data()
    assert sorted(data.dnos) == sorted(REGIONS)
    ids = sorted(d.mpan_distributor_id for d in data.dnos.values())
    assert ids == list(range(10, 24))
    assert data.dnos["H"].mpan_distributor_id == 20
    assert data.dnos["J"].mpan_distributor_id == 19
    assert data.g99.lead_time_working_days == (10, 45)


def test_idno_mpan_leaves_region_unknown() -> None:
    # 2×3 + 4×5 + 1×43 = 69; 69 mod 11 = 3 → a valid MPAN on distributor 24, not a GB DNO area
    res, reason, step = outcome(Customer(mpan=parse_mpan("2400000000013")), "region")
    assert res is Result.UNKNOWN
    assert "distributor id 24" in reason
    assert "region letter" in step


def test_region_and_mpan_must_agree() -> None:
    with pytest.raises(OperationsError, match="disagrees with MPAN"):
        check_eligibility(Customer(region="A", mpan="1200023305967"), v2g_tariff())
    assert result(Customer(region="C", mpan="1200023305967"), "region") is Result.PASS


# -- region ----------------------------------------------------------------------------------------------------
def test_region_rule() -> None:
    assert result(GOOD, "region") is Result.PASS
    assert result(Customer(), "region") is Result.UNKNOWN
    res, reason, _ = outcome(parse_customer({"region": "NI"}), "region")
    assert res is Result.FAIL
    assert "Northern Ireland" in reason
    assert result(parse_customer({"postcode": "BT1 5GS"}), "region") is Result.FAIL
    assert result(parse_customer({"region": "northern ireland"}), "region") is Result.FAIL
    only_a = v2g_tariff(regions=frozenset({"A"}))
    res, reason, step = outcome(GOOD, "region", only_a)
    assert res is Result.FAIL
    assert "not offered in region C" in reason
    assert "covers A" in step


# -- smart meter ---------------------------------------------------------------------------------------------
def test_smart_meter_rule() -> None:
    assert result(GOOD, "smart_meter") is Result.PASS
    assert result(replace(GOOD, meter_type=MeterType.SMETS1_MIGRATED), "smart_meter") is Result.PASS
    res, _, step = outcome(replace(GOOD, meter_type=MeterType.SMETS1), "smart_meter")
    assert res is Result.FAIL
    assert "DCC" in step
    assert result(replace(GOOD, meter_type=MeterType.TRADITIONAL), "smart_meter") is Result.FAIL
    assert result(replace(GOOD, meter_type=None), "smart_meter") is Result.UNKNOWN
    smets2_only = flat_tariff(smart_meter=frozenset({"SMETS2"}))
    assert result(replace(GOOD, meter_type=MeterType.SMETS1_MIGRATED), "smart_meter", smets2_only) is Result.FAIL
    any_meter = flat_tariff(smart_meter=frozenset({"ANY"}))
    assert result(Customer(), "smart_meter", any_meter) is Result.PASS


# -- payment ---------------------------------------------------------------------------------------------------
def test_payment_rule() -> None:
    assert result(GOOD, "payment") is Result.PASS
    res, _, step = outcome(replace(GOOD, payment_method=PaymentMethod.PREPAYMENT), "payment")
    assert res is Result.FAIL
    assert "credit" in step
    assert result(replace(GOOD, payment_method=None), "payment") is Result.UNKNOWN
    assert result(replace(GOOD, payment_method=PaymentMethod.PREPAYMENT), "payment",
                  flat_tariff(prepayment_allowed=True)) is Result.PASS


# -- EV proof (catalogue tariffs) --------------------------------------------------------------------------------
def test_ev_proof_rule() -> None:
    needs_proof = flat_tariff(ev_proof=True)
    assert result(replace(GOOD, v5c_provided=True), "ev_proof", needs_proof) is Result.PASS
    assert result(replace(GOOD, chargepoint_serial="WB-123"), "ev_proof", needs_proof) is Result.PASS
    assert result(replace(GOOD, v5c_provided=False), "ev_proof", needs_proof) is Result.FAIL
    assert result(GOOD, "ev_proof", needs_proof) is Result.UNKNOWN
    rules = [o.rule for o in check_eligibility(GOOD, flat_tariff()).outcomes]
    assert rules == ["region", "smart_meter", "payment"]  # no proof rule where the tariff needs none


# -- compatible car or chargepoint (session tariffs) ---------------------------------------------------------------
def test_ev_or_charger_rule_for_a_session_tariff() -> None:
    iog = flat_tariff("INTELLIGENT-OCTOPUS-GO", compatible_ev_or_charger=True)
    tesla = Customer(vehicle_make="Tesla", vehicle_model="Model 3", charger_model="granny cable")
    assert result(tesla, "ev_or_charger", iog) is Result.PASS
    assert result(Customer(vehicle_make="Kia", vehicle_model="Niro", charger_model="Ohme Home Pro"),
                  "ev_or_charger", iog) is Result.PASS
    res, _, step = outcome(GOOD, "ev_or_charger", iog)  # a Leaf on a Quasar: neither on IOG's lists
    assert res is Result.FAIL
    assert "Ohme" in step
    assert result(Customer(vehicle_make="Kia", vehicle_model="Niro"), "ev_or_charger", iog) is Result.UNKNOWN
    unlisted = flat_tariff("OVO-CHARGE-ANYTIME", compatible_ev_or_charger=True)
    res, reason, _ = outcome(tesla, "ev_or_charger", unlisted)
    assert res is Result.UNKNOWN
    assert "no copy" in reason


# -- V2G charger and car ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("model", "expected"),
    [
        ("Wallbox Quasar 1", Result.PASS),
        ("wallbox quasar-1", Result.PASS),
        ("Quasar", Result.PASS),
        ("Wallbox Quasar 2", Result.FAIL),
        ("Ohme Home Pro", Result.FAIL),
        ("Zappi v2", Result.FAIL),
        ("Wallbox Quasr 1", Result.UNKNOWN),  # a near miss: ask, do not refuse
        (None, Result.UNKNOWN),
    ],
)
def test_charger_rule(model: str | None, expected: Result) -> None:
    assert result(replace(GOOD, charger_model=model), "charger") is expected


@pytest.mark.parametrize(
    ("make", "model", "connector", "expected"),
    [
        ("Nissan", "Leaf", None, Result.PASS),
        ("NISSAN", "Leaf e+ 62 kWh", "CHAdeMO", Result.PASS),
        ("Nissan", "e-NV200 Evalia", None, Result.PASS),
        ("Mitsubishi", "Outlander PHEV", None, Result.PASS),
        (None, "Outlander PHEV", None, Result.PASS),
        ("Mitsubishi", "Outlander", None, Result.UNKNOWN),  # petrol or PHEV? asks "did you mean … PHEV?"
        ("Kia", "Niro EV", None, Result.FAIL),
        ("Tesla", "Model 3", None, Result.FAIL),
        ("Nissan", "Leaf", "CCS", Result.FAIL),
        ("Nisan", "Leaf", None, Result.UNKNOWN),
        ("Nissan", None, None, Result.UNKNOWN),
    ],
)
def test_vehicle_rule(make: str | None, model: str | None, connector: str | None, expected: Result) -> None:
    customer = replace(GOOD, vehicle_make=make, vehicle_model=model, vehicle_connector=connector)
    assert result(customer, "vehicle") is expected


def _copy_data(folder: Path) -> None:
    packaged = resources.files("evflex.operations") / "data"
    for name in ("vehicles.toml", "chargers.toml", "dnos.toml", "tariff_rules.toml"):
        (folder / name).write_text((packaged / name).read_text(encoding="utf-8"), encoding="utf-8")


def test_vehicle_list_is_data(tmp_path: Path) -> None:
    """Adding a car to the TOML lists makes it pass; nothing in the code names cars."""
    _copy_data(tmp_path)
    kia = Customer(vehicle_make="Kia", vehicle_model="EV9")
    assert result(kia, "vehicle") is Result.FAIL
    with (tmp_path / "vehicles.toml").open("a", encoding="utf-8") as f:
        f.write('\n[[vehicles]]\nkey = "kia-ev9"\nmake = "Kia"\nmodel = "EV9"\nconnector = "CHAdeMO"\n'
                "can_discharge = true\n")
    rules = (tmp_path / "tariff_rules.toml").read_text(encoding="utf-8")
    (tmp_path / "tariff_rules.toml").write_text(
        rules.replace('"mitsubishi-outlander-phev"]', '"mitsubishi-outlander-phev", "kia-ev9"]'), encoding="utf-8")
    data = load_rules_data(tmp_path)
    assert check_eligibility(kia, v2g_tariff(), data=data).outcome("vehicle").result is Result.PASS


def test_bad_rules_data_is_one_clear_error(tmp_path: Path) -> None:
    _copy_data(tmp_path)
    rules = (tmp_path / "tariff_rules.toml").read_text(encoding="utf-8")
    (tmp_path / "tariff_rules.toml").write_text(rules.replace('"nissan-leaf",', '"nissan-leef",'), encoding="utf-8")
    with pytest.raises(OperationsError, match="no vehicle 'nissan-leef'"):
        load_rules_data(tmp_path)
    _copy_data(tmp_path)
    dnos = (tmp_path / "dnos.toml").read_text(encoding="utf-8")
    (tmp_path / "dnos.toml").write_text(dnos.replace('region = "B"', 'region = "A"'), encoding="utf-8")
    with pytest.raises(OperationsError, match="exactly once"):
        load_rules_data(tmp_path)


# -- G99 -----------------------------------------------------------------------------------------------------------
def test_g99_rule() -> None:
    res, reason, _ = outcome(GOOD, "g99")
    assert res is Result.PASS
    assert "UK Power Networks" in reason
    res, _, step = outcome(replace(GOOD, g99=G99Status.APPLIED), "g99")
    assert res is Result.FAIL
    assert "10–45 working days" in step
    res, reason, step = outcome(replace(GOOD, g99=G99Status.NOT_APPLIED), "g99")
    assert res is Result.FAIL
    assert "3.68 kW" in reason
    assert step.startswith("Apply to the DNO for region C")
    res, _, step = outcome(replace(GOOD, g99=None, region=None), "g99")
    assert res is Result.UNKNOWN
    assert "give your MPAN or region letter" in step


# -- compatible import and export tariffs -----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("FLEXIBLE-OCTOPUS", Result.PASS),
        ("OCTOPUS-GO", Result.PASS),
        ("E-1R-VAR-22-11-01-C", Result.PASS),
        ("OCTOPUS-AGILE", Result.FAIL),
        ("E-1R-AGILE-24-10-01-C", Result.FAIL),
        ("SILVER-23-12-06", Result.FAIL),  # Tracker
        ("INTELLIGENT-OCTOPUS-GO", Result.FAIL),
        ("E-1R-INTELLI-VAR-24-10-29-C", Result.FAIL),
        ("IOG-SMB-TOU-25-12-12", Result.FAIL),
        (None, Result.UNKNOWN),
    ],
)
def test_add_on_import_tariff_rule(code: str | None, expected: Result) -> None:
    assert result(replace(GOOD, import_tariff=code), "import_tariff") is expected


@pytest.mark.parametrize(
    ("code", "expected"),
    [("OUTGOING-OCTOPUS", Result.PASS), ("NONE", Result.PASS), ("AGILE-OUTGOING", Result.FAIL),
     ("E-1R-AGILE-OUTGOING-19-05-13-C", Result.FAIL), (None, Result.UNKNOWN)],
)
def test_add_on_export_tariff_rule(code: str | None, expected: Result) -> None:
    assert result(replace(GOOD, export_tariff=code), "export_tariff") is expected


def test_import_rule_with_catalogue_names_supplier_and_alternatives() -> None:
    catalogue = load_catalogue()
    pack = v2g_add_on(catalogue)
    agile = check_eligibility(replace(GOOD, import_tariff="OCTOPUS-AGILE"), pack, catalogue=catalogue)
    step = agile.outcome("import_tariff").next_step
    assert "FLEXIBLE-OCTOPUS" in step
    assert "OCTOPUS-AGILE" not in step
    eon = check_eligibility(replace(GOOD, import_tariff="EON-NEXT-DRIVE"), pack, catalogue=catalogue)
    assert eon.outcome("import_tariff").result is Result.FAIL
    assert "E.ON Next" in eon.outcome("import_tariff").reason
    with pytest.raises(OperationsError, match="not an import tariff"):
        check_eligibility(replace(GOOD, import_tariff="AGILE-OUTGOING"), pack, catalogue=catalogue)


# -- usage rules: minimum state of charge, plug-in pattern, monthly charging ---------------------------------------
@pytest.mark.parametrize(
    ("soc", "expected"), [(25, Result.PASS), (29.9, Result.PASS), (30, Result.FAIL), (45, Result.FAIL),
                          (None, Result.UNKNOWN)],
)
def test_min_soc_rule(soc: float | None, expected: Result) -> None:
    assert result(replace(GOOD, min_soc_percent=soc), "min_soc") is expected


def test_min_window_hours_by_hand() -> None:
    assert min_window_hours(12, 2, 2) == 12  # one 12 h stretch in every 48 h
    assert min_window_hours(6, 1, 2) == 12  # 6 h a day, twice per window
    assert min_window_hours(24, 3, 2) == 0  # a 48 h window can fall in the 48 h gap
    assert min_window_hours(36, 3, 2) == 12  # 36 h in every 72 h: the 36 h gap leaves 12 h
    assert min_window_hours(13, 1, 2) == 26


@pytest.mark.parametrize(
    ("hours", "every", "expected"),
    [(12, 2, Result.PASS), (6, 1, Result.PASS), (14, 1, Result.PASS), (11, 2, Result.FAIL), (24, 3, Result.FAIL),
     (None, 2, Result.UNKNOWN), (12, None, Result.UNKNOWN)],
)
def test_plug_in_rule(hours: float | None, every: float | None, expected: Result) -> None:
    assert result(replace(GOOD, plug_in_hours=hours, plug_in_every_days=every), "plug_in") is expected


def test_plug_in_days_per_week() -> None:
    daily = parse_customer({"plug_in_hours": 6, "plug_in_days_per_week": 7})
    assert daily.plug_in_every_days == 1.0
    assert result(daily, "plug_in") is Result.PASS
    assert result(parse_customer({"plug_in_hours": 12, "plug_in_days_per_week": 2}), "plug_in") is Result.FAIL


@pytest.mark.parametrize(
    ("miles", "per_mile", "expected"),
    [
        (8000, None, Result.PASS),  # 8000 × 0.306 / 12 = 204 kWh
        (13000, None, Result.PASS),  # 331.5 kWh
        (14000, None, Result.FAIL),  # 357 kWh
        (15984, 0.25, Result.FAIL),  # exactly 333 kWh: "less than 333" is not met
        (15000, 0.25, Result.PASS),  # 312.5 kWh
        (None, None, Result.UNKNOWN),
    ],
)
def test_monthly_charge_from_miles(miles: float | None, per_mile: float | None, expected: Result) -> None:
    customer = replace(GOOD, annual_miles=miles, kwh_per_mile=per_mile)
    assert result(customer, "monthly_charge") is expected


def test_monthly_charge_from_history_distinguishes_occasional_from_regular() -> None:
    occasional = replace(GOOD, monthly_charge_kwh=(340.0, 200, 200, 200, 200, 200))
    res, reason, _ = outcome(occasional, "monthly_charge")
    assert res is Result.PASS
    assert "1 of the last 6" in reason
    assert "occasional" in reason
    regular = replace(GOOD, monthly_charge_kwh=(340.0, 200, 350, 200, 400, 200))
    res, reason, _ = outcome(regular, "monthly_charge")
    assert res is Result.FAIL
    assert "3 of the last 6" in reason
    old = replace(GOOD, monthly_charge_kwh=(340.0, 350, 400, 200, 200, 200, 200, 200, 200), annual_miles=50_000)
    assert result(old, "monthly_charge") is Result.PASS  # history wins over miles; old misses age out


# -- verdicts ------------------------------------------------------------------------------------------------------
POWER_PACK_RULES = ["region", "smart_meter", "payment", "charger", "vehicle", "g99", "import_tariff",
                    "export_tariff", "min_soc", "plug_in", "monthly_charge"]


def test_good_customer_is_eligible_with_every_rule_listed() -> None:
    verdict = check_eligibility(GOOD, v2g_tariff())
    assert [o.rule for o in verdict.outcomes] == POWER_PACK_RULES
    assert all(o.result is Result.PASS for o in verdict.outcomes)
    assert verdict.overall is Overall.ELIGIBLE


def test_empty_customer_needs_information_without_crashing() -> None:
    verdict = check_eligibility(parse_customer({}), v2g_tariff())
    assert [o.rule for o in verdict.outcomes] == POWER_PACK_RULES
    assert {o.result for o in verdict.outcomes} == {Result.UNKNOWN}
    assert all(o.next_step for o in verdict.outcomes)
    assert verdict.overall is Overall.NEEDS_INFORMATION


def test_one_fail_beats_unknowns() -> None:
    verdict = check_eligibility(Customer(min_soc_percent=30), v2g_tariff())
    assert verdict.overall is Overall.NOT_ELIGIBLE
    payload = verdict.to_dict()
    assert payload["verdict"] == "NOT_ELIGIBLE"
    assert {r["result"] for r in payload["rules"]} == {"FAIL", "UNKNOWN"}


def test_every_catalogue_tariff_gets_a_verdict() -> None:
    catalogue = load_catalogue()
    verdicts = check_all(load_customer(FIXTURES / "customer_eligible.json"), catalogue)
    by_code = {v.tariff_code: v for v in verdicts}
    assert set(by_code) == set(catalogue.codes())
    assert by_code["POWER-PACK"].overall is Overall.ELIGIBLE
    assert by_code["FLEXIBLE-OCTOPUS"].overall is Overall.ELIGIBLE
    assert by_code["EDF-GOELECTRIC-35"].outcome("ev_proof").result is Result.PASS  # V5C given
    assert by_code["INTELLIGENT-OCTOPUS-GO"].outcome("ev_or_charger").result is Result.FAIL  # Leaf + Quasar
    assert by_code["OVO-CHARGE-ANYTIME"].outcome("import_tariff").result is Result.FAIL  # needs OVO's base


# -- the customer document -----------------------------------------------------------------------------------------
def test_fixture_documents() -> None:
    good = load_customer(FIXTURES / "customer_eligible.json")
    assert good.mpan == "1200023305967"
    assert good.meter_type is MeterType.SMETS2
    agile = load_customer(FIXTURES / "customer_agile.json")
    verdict = check_eligibility(agile, v2g_tariff())
    failed = {o.rule for o in verdict.outcomes if o.result is Result.FAIL}
    assert failed == {"smart_meter", "import_tariff", "export_tariff", "g99", "min_soc"}
    assert verdict.outcome("plug_in").result is Result.PASS  # 10 h every day: 20 h in any 2 days
    assert verdict.outcome("monthly_charge").result is Result.PASS  # history, all under 333 kWh
    assert "Scottish Hydro" in verdict.outcome("g99").next_step


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"vehicle_modle": "Leaf"}, "unknown field 'vehicle_modle' (did you mean 'vehicle_model'?)"),
        ({"min_soc_percent": 130}, "field 'min_soc_percent'"),
        ({"min_soc_percent": "low"}, "give a percentage 0–100"),
        ({"meter_type": "SMETS3"}, "one of SMETS2, SMETS1_MIGRATED, SMETS1, TRADITIONAL"),
        ({"payment_method": "cash"}, "field 'payment_method'"),
        ({"region": "I"}, "GSP group letter A–P"),
        ({"mpan": "1200023305968"}, "fails its check digit"),
        ({"mpan": 1200023305967}, "field 'mpan'"),
        ({"plug_in_every_days": 2, "plug_in_days_per_week": 3}, "not both"),
        ({"monthly_charge_kwh": [100, -5]}, "field 'monthly_charge_kwh'"),
        ({"annual_miles": float("nan")}, "field 'annual_miles'"),
        ([1, 2], "expected a JSON object"),
    ],
)
def test_malformed_documents_give_one_clear_error(document: Any, message: str) -> None:
    with pytest.raises(OperationsError, match=r"^customer: ") as info:
        parse_customer(document)
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_meter_and_payment_spellings() -> None:
    c = parse_customer({"meter_type": "smets1-migrated", "payment_method": "Direct Debit", "g99": "Not applied",
                        "export_tariff": "none", "import_tariff": " flexible-octopus "})
    assert c.meter_type is MeterType.SMETS1_MIGRATED
    assert c.payment_method is PaymentMethod.DIRECT_DEBIT
    assert c.g99 is G99Status.NOT_APPLIED
    assert (c.export_tariff, c.import_tariff) == ("NONE", "FLEXIBLE-OCTOPUS")


def test_invalid_json_file(tmp_path: Path) -> None:
    path = tmp_path / "c.json"
    path.write_text('{"region": "C",}', encoding="utf-8")
    with pytest.raises(OperationsError, match="not valid JSON at line 1"):
        load_customer(path)


# -- the CLI -----------------------------------------------------------------------------------------------------
def _app() -> typer.Typer:
    app = typer.Typer()
    app.command("eligibility")(eligibility_command)

    @app.command("version")
    def _version() -> None:  # a second command keeps typer from collapsing the app into one command
        pass

    return app


runner = CliRunner()


def _run(*args: str) -> Any:
    # the first argument is the customer file, given as --input like the real command
    path, *rest = args
    return runner.invoke(_app(), ["eligibility", "--input", path, *rest])


def test_cli_exit_codes_and_table() -> None:
    ok = _run(str(FIXTURES / "customer_eligible.json"))
    assert ok.exit_code == 0, ok.output
    assert "ELIGIBLE" in ok.output
    assert "POWER-PACK" in ok.output
    assert _run(str(FIXTURES / "customer_agile.json")).exit_code == 1
    assert _run(str(FIXTURES / "customer_minimal.json")).exit_code == 1  # information missing
    bad = _run(str(FIXTURES / "customer_malformed.json"))
    assert bad.exit_code == 2
    assert "fails its check digit" in bad.output


def test_cli_json() -> None:
    res = _run(str(FIXTURES / "customer_agile.json"), "--json")
    assert res.exit_code == 1
    payload = json.loads(res.stdout)
    assert payload["tariff"] == "POWER-PACK"
    assert payload["verdict"] == "NOT_ELIGIBLE"
    rules = {r["rule"]: r for r in payload["rules"]}
    assert rules["min_soc"]["result"] == "FAIL"
    assert rules["import_tariff"]["result"] == "FAIL"
    assert "FLEXIBLE-OCTOPUS" in rules["import_tariff"]["next_step"]
    minimal = json.loads(_run(str(FIXTURES / "customer_minimal.json"), "--json").stdout)
    assert minimal["verdict"] == "NEEDS_INFORMATION"


def test_cli_tariff_and_all() -> None:
    go = _run(str(FIXTURES / "customer_eligible.json"), "--tariff", "octopus-go", "--json")
    assert go.exit_code == 0
    assert json.loads(go.stdout)["tariff"] == "OCTOPUS-GO"
    every = _run(str(FIXTURES / "customer_agile.json"), "--all", "--json")
    payload = json.loads(every.stdout)
    assert len(payload["verdicts"]) == len(load_catalogue())
    eligible = [v["tariff"] for v in payload["verdicts"] if v["verdict"] == "ELIGIBLE"]
    assert every.exit_code == (0 if eligible else 1)
    assert "FLEXIBLE-OCTOPUS" in eligible  # any meter, credit account, region P
    table = _run(str(FIXTURES / "customer_agile.json"), "--all")
    assert "INTELLIGENT-OCTOPUS-GO" in table.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--tariff", "NOPE"], "unknown tariff 'NOPE'"),
        (["--tariff", "POWER-PACK", "--all"], "not both"),
    ],
)
def test_cli_bad_options(args: list[str], message: str) -> None:
    res = _run(str(FIXTURES / "customer_eligible.json"), *args)
    assert res.exit_code == 2
    assert message in res.output


def test_cli_missing_file(tmp_path: Path) -> None:
    res = _run(str(tmp_path / "nobody.json"))
    assert res.exit_code == 2
    assert "file not found" in res.output


def test_verdict_round_trips_through_json() -> None:
    verdict = check_eligibility(GOOD, v2g_tariff())
    again = json.loads(json.dumps(verdict.to_dict()))
    assert again["rules"][0] == {"rule": "region", "title": verdict.outcomes[0].title, "result": "PASS",
                                 "reason": verdict.outcomes[0].reason, "next_step": ""}
    assert isinstance(verdict, Verdict)
