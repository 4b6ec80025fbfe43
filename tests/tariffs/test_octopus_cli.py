"""``evflex tariffs octopus`` end to end (in-process): fixtures in the real API shapes, and the live path
against httpx.MockTransport (no sockets, no network)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from evflex.cli import app
from evflex.periods import LONDON, Timeline, local_days
from evflex.tariffs import octopus_cli as tariffs_cli

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "octopus"
AGILE_C = [13.97, 13.2, 12.6, 11.9, 11.05, 10.5, -0.52, 9.8, 10.1, 12.3, 15.4, 18.9]  # 2025-10-01 00:00Z–06:00Z
PRODUCT_PATH = "/v1/products/AGILE-24-10-01/"
TARIFF_PATH = PRODUCT_PATH + "electricity-tariffs/E-1R-AGILE-24-10-01-C/"

runner = CliRunner()


def run(*args: str | Path) -> tuple[int, str, str]:
    result = runner.invoke(app, ["tariffs", "octopus", *map(str, args)])
    return result.exit_code, result.stdout, result.stderr


def run_json(*args: str | Path) -> dict[str, Any]:
    code, out, err = run(*args, "--json")
    assert code == 0, err
    payload: dict[str, Any] = json.loads(out)
    return payload


def one_error_line(stderr: str) -> str:
    lines = [line for line in stderr.strip().splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert lines[0].startswith("error: "), stderr
    assert "Traceback" not in stderr
    return lines[0]


def fixture(name: str) -> Path:
    return FIXTURES / name


def load(name: str) -> Any:
    return json.loads(fixture(name).read_text())


AGILE_FILES = (
    "--product",
    fixture("product_agile.json"),
    "--unit-rates",
    fixture("agile_C_unit_rates_page1.json"),
    "--unit-rates",
    fixture("agile_C_unit_rates_page2.json"),
    "--standing-charges",
    fixture("agile_C_standing_charges.json"),
    "--checked",
    "2026-10-05",
)
FLEXIBLE_FILES = (
    "--product",
    fixture("product_flexible.json"),
    "--unit-rates",
    fixture("flexible_C_unit_rates.json"),
    "--standing-charges",
    fixture("flexible_C_standing_charges.json"),
)


def page(*records: tuple[float, float, str, str | None]) -> dict[str, Any]:
    results = [
        {"value_exc_vat": exc, "value_inc_vat": inc, "valid_from": start, "valid_to": end, "payment_method": None}
        for exc, inc, start, end in records
    ]
    return {"count": len(results), "next": None, "previous": None, "results": results}


def write(path: Path, data: Any) -> Path:
    path.write_text(json.dumps(data))
    return path


# -- from files -------------------------------------------------------------------------------------------
def test_agile_pages_become_a_dynamic_tariff() -> None:
    out = run_json(*AGILE_FILES, "--region", "c")
    tariff = out["tariff"]
    assert (tariff["code"], tariff["structure"], tariff["price_series"]) == (
        "E-1R-AGILE-24-10-01-C",
        "DYNAMIC",
        "E-1R-AGILE-24-10-01-C",
    )
    assert (tariff["region"], tariff["payment"], tariff["payment_method"]) == (
        "C",
        "direct_debit_monthly",
        "DIRECT_DEBIT",
    )
    assert tariff["source"] == {"ref": "octopus-api:AGILE-24-10-01/E-1R-AGILE-24-10-01-C", "checked": "2026-10-05"}
    assert out["standing_charges_p_per_day_exc_vat"] == [
        {"valid_from": "2024-09-30T23:00:00Z", "valid_to": None, "value_exc_vat": 37.6525}
    ]
    assert out["unit_rates_p_per_kwh_exc_vat"] == {}  # dynamic: no bands, the prices are per period
    periods = out["periods"]
    # the default timeline runs from the first record's start to the last record's end
    assert (periods["start"], periods["end"], periods["n_periods"]) == (
        "2025-10-01T00:00:00Z",
        "2025-10-01T06:00:00Z",
        12,
    )
    assert (periods["priced"], periods["min"], periods["max"], periods["negative"]) == (12, -0.52, 18.9, 1)
    assert periods["mean"] == pytest.approx(139.2 / 12, abs=1e-4)  # hand sum of AGILE_C = 139.2
    assert periods["local"] == [
        {"local": "2025-10-01 Wed", "periods": 12, "priced": 12, "min": -0.52, "mean": 11.6, "max": 18.9}
    ]
    report = out["report"]
    assert (report["records_read"], report["records_used"], report["uncovered_periods"]) == (13, 13, 0)
    assert report["warnings"] == []
    assert len(out["input"]["unit_rates"]) == 2


def test_rich_summary_names_structure_and_statistics() -> None:
    code, out, err = run(*AGILE_FILES)
    assert code == 0, err
    assert "Agile Octopus (E-1R-AGILE-24-10-01-C)" in out
    assert "structure: DYNAMIC, half-hourly price series 'E-1R-AGILE-24-10-01-C'" in out
    assert "37.6525" in out
    assert "2025-10-01 Wed" in out
    assert "all: 12 of 12 half-hours priced; min -0.52, mean 11.60, max 18.90; 1 negative" in out
    assert "13 records read, 13 used" in out
    assert "warning" not in out


def test_a_missing_page_is_one_error_line() -> None:
    code, out, err = run(
        "--product",
        fixture("product_agile.json"),
        "--unit-rates",
        fixture("agile_C_unit_rates_page1.json"),
        "--standing-charges",
        fixture("agile_C_standing_charges.json"),
    )
    assert code == 2
    assert out == ""
    assert "the pages hold 8 records but the API counted 12: pass every page" in one_error_line(err)


def test_flexible_is_flat_with_its_history_and_dropped_rows() -> None:
    out = run_json(*FLEXIBLE_FILES, "--checked", "2026-10-05")
    assert out["tariff"]["structure"] == "FLAT"
    assert out["tariff"]["payment"] == "varying"  # never prepayment, which region C also offers
    history = out["unit_rates_p_per_kwh_exc_vat"]["standard"]["history"]
    assert [e["value_exc_vat"] for e in history] == [24.4112, 25.7129, 23.7107, 25.0927, 26.5956]
    assert history[0]["valid_from"] == "2025-09-30T23:00:00Z"  # 1 October, UK time
    assert [e["value_exc_vat"] for e in out["standing_charges_p_per_day_exc_vat"]][-1] == 41.3869  # DIRECT_DEBIT
    assert out["periods"] is None
    assert "give --from and --to" in out["periods_unavailable"]
    assert out["report"]["dropped_payment_method"] == 10
    assert any("dropped 5 other-payment row(s)" in w for w in out["report"]["warnings"])
    non_dd = run_json(*FLEXIBLE_FILES, "--payment-method", "non_direct_debit")
    assert non_dd["unit_rates_p_per_kwh_exc_vat"]["standard"]["history"][-1]["value_exc_vat"] == 27.8956


def test_flat_rates_over_months_are_grouped_by_local_month() -> None:
    out = run_json(*FLEXIBLE_FILES, "--from", "2025-10-01", "--to", "2026-01-01")
    groups = out["periods"]["local"]
    # October has the clock change (+2 half-hours); 31 + 30 + 31 days
    assert [(g["local"], g["periods"], g["priced"]) for g in groups] == [
        ("2025-10", 31 * 48 + 2, 31 * 48 + 2),
        ("2025-11", 30 * 48, 30 * 48),
        ("2025-12", 31 * 48, 31 * 48),
    ]
    assert {g["mean"] for g in groups} == {24.4112}


def test_save_writes_the_half_hourly_series(tmp_path: Path) -> None:
    target = tmp_path / "out" / "agile.json"
    code, out, err = run(*AGILE_FILES, "--from", "2025-10-01", "--to", "2025-10-02", "--save", target)
    assert code == 0, err
    assert f"saved 48 half-hours (12 priced) to {target}" in out.replace("\n", "")
    assert "36 uncovered half-hours" in out
    assert "no rate 2025-09-30 23:00Z → 2025-10-01 00:00Z" in out  # BST: the local day starts 23:00Z
    saved = json.loads(target.read_text())
    assert saved["series"] == "E-1R-AGILE-24-10-01-C"
    assert saved["unit"] == "p/kWh exc VAT"
    assert saved["timeline"] == {
        "start": "2025-09-30T23:00:00Z",
        "end": "2025-10-01T23:00:00Z",
        "period_minutes": 30,
        "n_periods": 48,
    }
    assert saved["unit_rate_p_per_kwh_exc_vat"] == [None] * 2 + AGILE_C + [None] * 34
    assert saved["uncovered_periods"] == 36
    tl = Timeline(datetime.fromisoformat(saved["timeline"]["start"]), saved["timeline"]["n_periods"])
    assert tl == local_days(date(2025, 10, 1), date(2025, 10, 2))  # the file rebuilds the timeline
    assert [p.name for p in target.parent.iterdir()] == ["agile.json"]  # no temporary file left


def test_save_flat_rates_across_a_price_change(tmp_path: Path) -> None:
    target = tmp_path / "flex.json"
    out = run_json(*FLEXIBLE_FILES, "--from", "2026-03-31", "--to", "2026-04-02", "--save", target)
    assert out["saved"] == str(target)
    saved = json.loads(target.read_text())
    assert saved["timeline"]["start"] == "2026-03-30T23:00:00Z"  # BST began 29 March 2026
    assert saved["unit_rate_p_per_kwh_exc_vat"] == [25.7129] * 48 + [23.7107] * 48  # the 1 April change


def test_save_without_half_hours_fails_and_writes_nothing(tmp_path: Path) -> None:
    target = tmp_path / "never.json"
    code, out, err = run(*FLEXIBLE_FILES, "--save", target)
    assert (code, out) == (2, "")
    assert "--save needs half-hourly rates" in one_error_line(err)
    assert not target.exists()
    assert list(tmp_path.iterdir()) == []


def test_report_shows_duplicates_overlaps_and_vat_mismatches(tmp_path: Path) -> None:
    rates = write(
        tmp_path / "rates.json",
        page(
            (10.0, 10.5, "2025-10-01T00:00:00Z", "2025-10-01T00:30:00Z"),
            (10.0, 10.5, "2025-10-01T00:00:00Z", "2025-10-01T00:30:00Z"),  # identical duplicate
            (11.0, 99.0, "2025-10-01T00:30:00Z", "2025-10-01T01:00:00Z"),  # inc VAT wrong
            (12.0, 12.6, "2025-10-01T01:00:00Z", "2025-10-01T02:00:00Z"),
            (13.0, 13.65, "2025-10-01T01:30:00Z", "2025-10-01T02:00:00Z"),  # overlaps the one before
        ),
    )
    args: tuple[str | Path, ...] = ("--product", fixture("product_agile.json"), "--unit-rates", rates)
    args += ("--standing-charges", fixture("agile_C_standing_charges.json"))
    out = run_json(*args, "--save", tmp_path / "s.json")
    report = out["report"]
    assert (report["duplicates"], report["overlaps"], report["vat_mismatches"]) == (1, 1, 1)
    assert json.loads((tmp_path / "s.json").read_text())["unit_rate_p_per_kwh_exc_vat"] == [10.0, 11.0, 12.0, 13.0]
    code, text, _ = run(*args)
    assert code == 0
    assert "1 duplicates, 1 overlaps, 1 VAT mismatches" in text
    assert "warning: unit rates: 1 value_inc_vat not value_exc_vat at 5% or 0% VAT" in text


def test_dual_register_becomes_time_of_use(tmp_path: Path) -> None:
    day = page((28.1034, 28.1034, "2026-09-30T23:00:00Z", None))
    night = page((14.221, 14.221, "2026-09-30T23:00:00Z", None))
    for p in (day, night):
        p["results"][0]["payment_method"] = "DIRECT_DEBIT"
    args = (
        "--product",
        fixture("product_flexible.json"),
        "--registers",
        "dual",
        "--day-rates",
        write(tmp_path / "day.json", day),
        "--night-rates",
        write(tmp_path / "night.json", night),
        "--standing-charges",
        fixture("flexible_C_standing_charges.json"),
        "--night-window",
        "00:00-07:00",
    )
    out = run_json(*args, "--from", "2026-10-25", "--to", "2026-10-27")
    assert (out["tariff"]["code"], out["tariff"]["structure"]) == ("E-2R-VAR-22-11-01-C", "TIME_OF_USE")
    bands = out["unit_rates_p_per_kwh_exc_vat"]
    assert bands["night"]["windows"] == ["00:00–07:00"]
    assert bands["night"]["history"][0]["value_exc_vat"] == 14.221
    days = out["periods"]["local"]
    # 25 October 2026: clocks go back, so 00:00–07:00 holds 16 half-hours of 50; the next day 14 of 48
    assert [d["periods"] for d in days] == [50, 48]
    assert days[0]["mean"] == pytest.approx((16 * 14.221 + 34 * 28.1034) / 50, abs=1e-4)
    assert days[1]["mean"] == pytest.approx((14 * 14.221 + 34 * 28.1034) / 48, abs=1e-4)
    code, _, err = run(*args, "--from", "2026-09-25", "--to", "2026-10-02", "--save", tmp_path / "x.json")
    assert code == 2
    assert "no rate in force at 2026-09-24T23:00:00+00:00" in one_error_line(err)


@pytest.mark.parametrize(
    ("args", "says"),
    [
        ((), "give --product FILE with its --unit-rates and --standing-charges pages, or --live PRODUCT_CODE"),
        (("--live", "AGILE-24-10-01", *AGILE_FILES), "give --live PRODUCT_CODE or --product FILE, not both"),
        (("--product", fixture("product_agile.json")), "give the unit-rate pages"),
        ((*AGILE_FILES, "--from", "2025-10-01"), "give --from and --to together"),
        ((*AGILE_FILES, "--from", "2025-10-02", "--to", "2025-10-01"), "--to 2025-10-01 must be after --from"),
        ((*AGILE_FILES, "--from", "1/10/2025", "--to", "2025-10-02"), "--from '1/10/2025' is not a date"),
        ((*AGILE_FILES, "--region", "I"), "unknown region 'I'"),
        ((*AGILE_FILES, "--payment", "prepayment"), "offers no 'prepayment' tariff (offered: direct_debit_monthly)"),
        ((*AGILE_FILES, "--payment-method", "cash"), "--payment-method 'CASH' is not one of DIRECT_DEBIT"),
        ((*AGILE_FILES, "--registers", "dual"), "--registers dual needs --night-window"),
        ((*AGILE_FILES, "--registers", "dual", "--night-window", "00:00-07:00"), "needs the night-unit-rates pages"),
        ((*AGILE_FILES, "--night-window", "00:00-07:00"), "add --registers dual"),
        ((*FLEXIBLE_FILES, "--registers", "dual", "--night-window", "7am", "--night-rates", "x.json"), "'7am'"),
        (("--live", "AGILE-24-10-01"), "--live needs --from and --to"),
        (
            ("--live", "AGILE-24-10-01", "--unit-rates", "x.json", "--from", "2025-10-01", "--to", "2025-10-02"),
            "are for files; --live fetches",
        ),
        (
            ("--product", fixture("nope.json"), "--unit-rates", fixture("agile_C_unit_rates_page1.json")),
            "nope.json: No such file or directory; check the path",
        ),
    ],
)
def test_bad_input_is_one_error_line(args: tuple[str | Path, ...], says: str) -> None:
    code, out, err = run(*args)
    assert code == 2
    assert out == ""
    assert says in one_error_line(err)


# -- live, against MockTransport ----------------------------------------------------------------------------
class Api:
    """Serves the fixtures as api.octopus.energy would, and records the requests."""

    def __init__(self, rates: Any = None) -> None:
        self.requests: list[httpx.Request] = []
        self.rates = rates

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        path = request.url.path
        if path == PRODUCT_PATH:
            return httpx.Response(200, json=load("product_agile.json"))
        if path == TARIFF_PATH + "standard-unit-rates/":
            if self.rates is not None:
                response: httpx.Response = self.rates(request)
                return response
            name = "page2" if request.url.params.get("page") == "2" else "page1"
            return httpx.Response(200, json=load(f"agile_C_unit_rates_{name}.json"))
        if path == TARIFF_PATH + "standing-charges/":
            return httpx.Response(200, json=load("agile_C_standing_charges.json"))
        return httpx.Response(404, json={"detail": "Not found."})


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch) -> Api:
    server = Api()
    monkeypatch.setattr(tariffs_cli, "live_transport", lambda: httpx.MockTransport(server))
    monkeypatch.setattr(tariffs_cli, "_now", lambda: datetime(2026, 10, 5, 9, tzinfo=UTC))
    return server


LIVE = ("--live", "agile-24-10-01", "--region", "C", "--from", "2025-10-01", "--to", "2025-10-02")


def test_live_fetches_every_page(api: Api) -> None:
    out = run_json(*LIVE)
    assert out["input"] == {
        "source": "api",
        "base_url": "https://api.octopus.energy",
        "tariffs_active_at": "2025-09-30T23:00:00Z",
        "pages": {"standard-unit-rates": 2, "standing-charges": 1},
    }
    product, first, second, standing = api.requests
    assert product.url.path == PRODUCT_PATH
    assert product.url.params["tariffs_active_at"] == "2025-09-30T23:00:00Z"  # the product as it was then
    assert dict(first.url.params) == {
        "period_from": "2025-09-30T23:00:00Z",  # local midnight, sent as UTC Z
        "period_to": "2025-10-01T23:00:00Z",
        "page_size": "1500",
    }
    assert str(second.url) == load("agile_C_unit_rates_page1.json")["next"]  # pagination followed
    assert standing.url.path.endswith("/standing-charges/")
    assert out["tariff"]["structure"] == "DYNAMIC"
    assert out["tariff"]["source"]["checked"] == "2026-10-05"  # retrieved today
    assert (out["periods"]["n_periods"], out["periods"]["priced"]) == (48, 12)
    assert out["periods"]["min"] == -0.52


def test_live_rich_output_and_save(api: Api, tmp_path: Path) -> None:
    code, out, err = run(*LIVE, "--save", tmp_path / "agile.json")
    assert code == 0, err
    assert "fetched from https://api.octopus.energy" in out.replace("\n", "")
    assert "standard-unit-rates 2 page(s)" in out
    saved = json.loads((tmp_path / "agile.json").read_text())
    assert saved["unit_rate_p_per_kwh_exc_vat"][2:14] == AGILE_C


def test_live_http_400_body_is_one_error_line(api: Api) -> None:
    body = {"period_from": ["This field is required when providing a `period_to`."]}
    api.rates = lambda request: httpx.Response(400, json=body)
    code, out, err = run(*LIVE)
    assert code == 2
    assert out == ""
    line = one_error_line(err)
    assert line.startswith("error: Octopus API answered HTTP 400 for https://api.octopus.energy" + TARIFF_PATH)
    assert line.endswith("period_from: This field is required when providing a `period_to`.")


def test_live_unknown_product_and_empty_rates(api: Api) -> None:
    code, _, err = run("--live", "NOPE-1", "--from", "2025-10-01", "--to", "2025-10-02")
    assert code == 2
    assert "HTTP 404" in one_error_line(err)
    assert "detail: Not found." in err
    api.rates = lambda request: httpx.Response(200, json={"count": 0, "next": None, "results": []})
    code, _, err = run(*LIVE)
    assert code == 2
    assert "has no standard-unit-rates for E-1R-AGILE-24-10-01-C" in one_error_line(err)


def test_live_unreachable_network_is_one_error_line(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("[Errno -3] Temporary failure in name resolution", request=request)

    monkeypatch.setattr(tariffs_cli, "live_transport", lambda: httpx.MockTransport(refuse))
    code, _, err = run(*LIVE)
    assert code == 2
    assert "could not reach the Octopus API" in one_error_line(err)
    assert err.rstrip().endswith("check the network")


def test_live_without_httpx_is_one_error_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "httpx", None)  # import httpx now raises ImportError
    code, _, err = run(*LIVE)
    assert code == 2
    assert "the live Octopus API path needs httpx: pip install 'evflex[live]'" in one_error_line(err)


def test_httpx_is_imported_only_by_the_live_path() -> None:
    probe = "import sys, evflex.cli, evflex.tariffs.cli; print('httpx' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


# -- properties ---------------------------------------------------------------------------------------------
@settings(max_examples=60, deadline=None)
@given(
    start_day=st.integers(0, 400),
    n_periods=st.integers(1, 48 * 5),
    seed=st.integers(0, 2**32 - 1),
)
def test_period_statistics_match_a_brute_force_count(start_day: int, n_periods: int, seed: int) -> None:
    """Per local day (across clock changes) and overall: half-hours, priced, min, mean, max, negatives."""
    rng = np.random.default_rng(seed)
    timeline = Timeline(
        datetime(2025, 3, 1, tzinfo=UTC) + timedelta(days=start_day, minutes=30 * (seed % 48)), n_periods
    )
    values = np.round(rng.normal(15, 10, n_periods), 2)
    values[rng.random(n_periods) < 0.3] = np.nan
    stats = tariffs_cli._periods(values, timeline)
    groups = stats["local"]
    by_day: dict[str, list[float]] = {}
    for i in range(n_periods):
        label = f"{timeline.period_start(i).astimezone(LONDON):%Y-%m-%d %a}"
        by_day.setdefault(label, []).append(float(values[i]))
    assert [g["local"] for g in groups] == list(by_day)
    for group, day_values in zip(groups, by_day.values(), strict=True):
        priced = [v for v in day_values if not np.isnan(v)]
        assert (group["periods"], group["priced"]) == (len(day_values), len(priced))
        if priced:
            assert group["min"] == round(min(priced), 4)
            assert group["max"] == round(max(priced), 4)
            assert group["mean"] == pytest.approx(sum(priced) / len(priced), abs=1e-4)
        else:
            assert group["min"] is group["mean"] is group["max"] is None
    priced_all = values[~np.isnan(values)]
    assert (stats["n_periods"], stats["priced"]) == (n_periods, priced_all.size)
    assert stats["negative"] == sum(1 for v in priced_all if v < 0)
    assert sum(g["periods"] for g in groups) == n_periods
    if priced_all.size:
        assert stats["mean"] == pytest.approx(float(np.mean(priced_all)), abs=1e-4)


def test_checked_defaults_to_the_product_file_date(tmp_path: Path) -> None:
    product = tmp_path / "product.json"
    product.write_bytes(fixture("product_agile.json").read_bytes())
    downloaded = datetime(2025, 10, 2, 12, tzinfo=UTC).timestamp()
    os.utime(product, (downloaded, downloaded))
    out = run_json(*("--product", product, *AGILE_FILES[2:8]))
    assert out["tariff"]["source"]["checked"] == "2025-10-02"
