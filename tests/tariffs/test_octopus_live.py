"""The optional live path, against httpx.MockTransport (no sockets, no network)."""

from __future__ import annotations

import base64
import json
import sys
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest

from evflex.household.meter_data import read_consumption_json
from evflex.tariffs.octopus import clean_rates, read_rate_pages
from evflex.tariffs.octopus_live import (
    OctopusApiError,
    api_time,
    fetch_consumption,
    fetch_product,
    fetch_rates,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "octopus"
RATES_PATH = "/v1/products/AGILE-24-10-01/electricity-tariffs/E-1R-AGILE-24-10-01-C/standard-unit-rates/"


def load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


class Recorder:
    """A MockTransport handler that serves canned responses and remembers the requests."""

    def __init__(self, respond: Any) -> None:
        self.respond = respond
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        result: httpx.Response = self.respond(request)
        return result

    @property
    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self)


def test_api_time_sends_z() -> None:
    bst = timezone(timedelta(hours=1))
    assert api_time(datetime(2025, 10, 1, 1, 0, tzinfo=bst)) == "2025-10-01T00:00:00Z"


def test_fetch_rates_follows_next_with_z_times() -> None:
    page1, page2 = load("agile_C_unit_rates_page1.json"), load("agile_C_unit_rates_page2.json")

    def respond(request: httpx.Request) -> httpx.Response:
        assert request.url.path == RATES_PATH
        return httpx.Response(200, json=page2 if request.url.params.get("page") == "2" else page1)

    rec = Recorder(respond)
    pages = fetch_rates(
        "agile-24-10-01",
        "E-1R-AGILE-24-10-01-C",
        "standard-unit-rates",
        datetime(2025, 10, 1, 1, 0, tzinfo=timezone(timedelta(hours=1))),
        datetime(2025, 10, 1, 6, 0, tzinfo=UTC),
        transport=rec.transport,
    )
    assert pages == [page1, page2]
    first, second = rec.requests
    assert dict(first.url.params) == {
        "period_from": "2025-10-01T00:00:00Z",
        "period_to": "2025-10-01T06:00:00Z",
        "page_size": "1500",
    }
    assert str(second.url) == page1["next"]
    assert "authorization" not in first.headers  # rates need no key
    kept, _ = clean_rates(read_rate_pages(pages))
    assert len(kept) == 12
    assert kept[0].value_exc_vat == 13.97


def test_http_400_body_becomes_the_error() -> None:
    body = {"period_from": ["This field is required when providing a `period_to`."]}
    rec = Recorder(lambda request: httpx.Response(400, json=body))
    with pytest.raises(OctopusApiError) as info:
        fetch_rates(
            "AGILE-24-10-01",
            "E-1R-AGILE-24-10-01-C",
            "standing-charges",
            datetime(2025, 10, 1, tzinfo=UTC),
            transport=rec.transport,
        )
    message = str(info.value)
    assert message.startswith("Octopus API answered HTTP 400 for https://api.octopus.energy/v1/products/")
    assert message.endswith("period_from: This field is required when providing a `period_to`.")


def test_html_404_and_unreachable_host() -> None:
    html = Recorder(lambda request: httpx.Response(404, text="<html>\n <h1>Not Found</h1>\n</html>"))
    with pytest.raises(OctopusApiError, match=r"HTTP 404 .*: <html> <h1>Not Found</h1> </html>"):
        fetch_product("NO-SUCH-PRODUCT", transport=html.transport)

    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    with pytest.raises(
        OctopusApiError, match=r"could not reach the Octopus API .*connection refused; check the network"
    ):
        fetch_product("AGILE-24-10-01", transport=httpx.MockTransport(refuse))


def test_fetch_product_as_of_a_date() -> None:
    detail = load("product_agile.json")
    rec = Recorder(lambda request: httpx.Response(200, json=detail))
    got = fetch_product(
        " agile-24-10-01 ", tariffs_active_at=datetime(2025, 3, 12, tzinfo=UTC), transport=rec.transport
    )
    assert got == detail
    (request,) = rec.requests
    assert request.url.path == "/v1/products/AGILE-24-10-01/"
    assert request.url.params["tariffs_active_at"] == "2025-03-12T00:00:00Z"


def test_bad_arguments_and_responses() -> None:
    ok = Recorder(lambda request: httpx.Response(200, json={"results": []}))
    start = datetime(2025, 10, 1, tzinfo=UTC)
    with pytest.raises(OctopusApiError, match="rate kind 'unit-rates' is not one of standard-unit-rates"):
        fetch_rates("A", "E-1R-A-C", "unit-rates", start, transport=ok.transport)
    with pytest.raises(OctopusApiError, match="is not after period_from"):
        fetch_rates("A", "E-1R-A-C", "standing-charges", start, start, transport=ok.transport)
    assert ok.requests == []
    listed = Recorder(lambda request: httpx.Response(200, json=[1, 2]))
    with pytest.raises(OctopusApiError, match="a JSON list, not an object"):
        fetch_product("AGILE-24-10-01", transport=listed.transport)


def test_next_link_to_another_host_or_in_a_loop_is_refused() -> None:
    away = Recorder(lambda request: httpx.Response(200, json={"next": "https://evil.example/steal", "results": []}))
    with pytest.raises(OctopusApiError, match=r"leaves api\.octopus\.energy"):
        fetch_rates("A", "E-1R-A-C", "standing-charges", datetime(2025, 1, 1, tzinfo=UTC), transport=away.transport)
    loop_url = "https://api.octopus.energy/v1/loop/?page=2"
    loop = Recorder(lambda request: httpx.Response(200, json={"next": loop_url, "results": []}))
    with pytest.raises(OctopusApiError, match="pagination does not end"):
        fetch_rates("A", "E-1R-A-C", "standing-charges", datetime(2025, 1, 1, tzinfo=UTC), transport=loop.transport)
    assert len(loop.requests) == 2


def test_fetch_consumption_uses_basic_auth_and_pages() -> None:
    data = load("consumption_clock_change.json")
    page1 = {**data, "next": "https://api.octopus.energy/v1/next/?page=2", "results": data["results"][:6]}
    page2 = {**data, "previous": "x", "results": data["results"][6:]}
    rec = Recorder(lambda request: httpx.Response(200, json=page2 if "page=2" in str(request.url) else page1))
    pages = fetch_consumption(
        "1200023305967",
        "21L 123/45",
        "sk_live_dummy",
        datetime(2025, 10, 25, 22, tzinfo=UTC),
        datetime(2025, 10, 26, 4, tzinfo=UTC),
        transport=rec.transport,
    )
    first = rec.requests[0]
    assert first.url.raw_path.startswith(
        b"/v1/electricity-meter-points/1200023305967/meters/21L%20123%2F45/consumption/"
    )
    assert first.url.params["page_size"] == "25000"
    assert first.headers["authorization"] == "Basic " + base64.b64encode(b"sk_live_dummy:").decode()
    series = read_consumption_json(pages)
    assert series.report.present_periods == 11
    assert series.report.duplicates_dropped == 1
    assert np.nansum(series.kwh) == pytest.approx(1.577)
    with pytest.raises(OctopusApiError, match="needs your Octopus API key"):
        fetch_consumption("1", "2", "", datetime(2025, 1, 1, tzinfo=UTC), transport=rec.transport)


def test_missing_httpx_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "httpx", None)  # import httpx now raises ImportError
    with pytest.raises(OctopusApiError, match=r"needs httpx: pip install 'evflex\[live\]'"):
        fetch_product("AGILE-24-10-01")
