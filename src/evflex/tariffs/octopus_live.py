"""Optional live path: fetch Octopus API JSON with httpx (``pip install 'evflex[live]'``).

The functions return the raw response pages, exactly what a saved file holds, so the same readers in
:mod:`evflex.tariffs.octopus` and :mod:`evflex.household.meter_data` parse both. Times are sent as UTC ``Z``
strings (an unencoded ``+01:00`` becomes a space and the API answers 400). Every call takes ``transport``
so tests can use ``httpx.MockTransport`` without sockets.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

from evflex.periods import ensure_utc
from evflex.tariffs.octopus import OctopusDataError

if TYPE_CHECKING:
    import httpx

__all__ = [
    "BASE_URL",
    "RATE_KINDS",
    "OctopusApiError",
    "api_time",
    "fetch_consumption",
    "fetch_product",
    "fetch_rates",
]

BASE_URL = "https://api.octopus.energy"
RATE_KINDS = ("standard-unit-rates", "day-unit-rates", "night-unit-rates", "standing-charges")
_RATE_PAGE_SIZE = 1500  # the API silently caps larger page sizes at 1500
_CONSUMPTION_PAGE_SIZE = 25_000
_MAX_PAGES = 200


class OctopusApiError(OctopusDataError):
    """The Octopus API could not be reached or answered with an error."""


def _httpx() -> Any:
    try:
        return importlib.import_module("httpx")
    except ImportError:
        raise OctopusApiError(
            "the live Octopus API path needs httpx: pip install 'evflex[live]' (or use saved JSON files)"
        ) from None


def api_time(moment: datetime) -> str:
    """``2025-10-01T00:00:00Z``: the UTC form the API accepts in query strings."""
    return ensure_utc(moment).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _client(
    transport: httpx.BaseTransport | None,
    base_url: str,
    timeout_s: float,
    auth: tuple[str, str] | None = None,
) -> httpx.Client:
    client: httpx.Client = _httpx().Client(
        base_url=base_url, transport=transport, timeout=timeout_s, auth=auth, follow_redirects=False
    )
    return client


def _error_detail(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        text = " ".join(response.text.split())
        return text[:200] or "(empty body)"
    if isinstance(body, Mapping):
        parts = []
        for key, value in body.items():
            messages = value if isinstance(value, list) else [value]
            parts.append(f"{key}: {' '.join(str(m) for m in messages)}")
        return "; ".join(parts)
    return str(body)[:200]


def _get(client: httpx.Client, url: str, params: Mapping[str, str | int] | None) -> dict[str, Any]:
    httpx_mod = _httpx()
    try:
        response = client.get(url, params=params)
    except httpx_mod.HTTPError as exc:
        raise OctopusApiError(f"could not reach the Octopus API at {url}: {exc}; check the network") from None
    if response.status_code != 200:
        raise OctopusApiError(
            f"Octopus API answered HTTP {response.status_code} for {response.request.url}: {_error_detail(response)}"
        )
    try:
        body = response.json()
    except ValueError:
        raise OctopusApiError(f"Octopus API answered non-JSON for {response.request.url}") from None
    if not isinstance(body, dict):
        raise OctopusApiError(
            f"Octopus API answered a JSON {type(body).__name__}, not an object: {response.request.url}"
        )
    return body


def _pages(client: httpx.Client, path: str, params: Mapping[str, str | int]) -> list[dict[str, Any]]:
    """Follow ``next`` links until null; refuse links to another host (credentials stay with the API)."""
    host = urlsplit(str(client.base_url)).netloc
    pages = [_get(client, path, params)]
    seen: set[str] = set()
    while (nxt := pages[-1].get("next")) is not None:
        nxt = str(nxt)
        if urlsplit(nxt).netloc not in ("", host):
            raise OctopusApiError(f"'next' link {nxt} leaves {host}; refusing to follow it")
        if nxt in seen or len(pages) >= _MAX_PAGES:
            raise OctopusApiError(f"pagination does not end (at {nxt}); narrow period_from/period_to")
        seen.add(nxt)
        pages.append(_get(client, nxt, None))
    return pages


def fetch_product(
    code: str,
    *,
    tariffs_active_at: datetime | None = None,
    transport: httpx.BaseTransport | None = None,
    base_url: str = BASE_URL,
    timeout_s: float = 30.0,
) -> dict[str, Any]:
    """``GET /v1/products/{code}/`` (optionally as of ``tariffs_active_at``): the product detail JSON."""
    params = {"tariffs_active_at": api_time(tariffs_active_at)} if tariffs_active_at else None
    with _client(transport, base_url, timeout_s) as client:
        return _get(client, f"/v1/products/{quote(code.strip().upper())}/", params)


def fetch_rates(
    product: str,
    tariff_code: str,
    kind: str,
    period_from: datetime,
    period_to: datetime | None = None,
    *,
    transport: httpx.BaseTransport | None = None,
    base_url: str = BASE_URL,
    timeout_s: float = 30.0,
) -> list[dict[str, Any]]:
    """Every page of one electricity rate list over ``[period_from, period_to)``, newest first as served.

    ``kind`` is one of :data:`RATE_KINDS`. The API returns records *overlapping* the range.
    """
    if kind not in RATE_KINDS:
        raise OctopusApiError(f"rate kind {kind!r} is not one of {', '.join(RATE_KINDS)}")
    params: dict[str, str | int] = {"period_from": api_time(period_from), "page_size": _RATE_PAGE_SIZE}
    if period_to is not None:
        if ensure_utc(period_to) <= ensure_utc(period_from):
            raise OctopusApiError(f"period_to {period_to} is not after period_from {period_from}")
        params["period_to"] = api_time(period_to)
    tariff = quote(tariff_code.strip().upper())
    path = f"/v1/products/{quote(product.strip().upper())}/electricity-tariffs/{tariff}/{kind}/"
    with _client(transport, base_url, timeout_s) as client:
        return _pages(client, path, params)


def fetch_consumption(
    mpan: str,
    serial: str,
    api_key: str,
    period_from: datetime,
    period_to: datetime | None = None,
    *,
    transport: httpx.BaseTransport | None = None,
    base_url: str = BASE_URL,
    timeout_s: float = 60.0,
) -> list[dict[str, Any]]:
    """Every page of half-hourly consumption for one meter (needs the account's API key; Basic auth)."""
    if not api_key:
        raise OctopusApiError("consumption needs your Octopus API key (account dashboard → API access)")
    params: dict[str, str | int] = {"period_from": api_time(period_from), "page_size": _CONSUMPTION_PAGE_SIZE}
    if period_to is not None:
        params["period_to"] = api_time(period_to)
    meter = quote(serial.strip(), safe="")  # serials may hold characters that need encoding
    path = f"/v1/electricity-meter-points/{quote(mpan.strip())}/meters/{meter}/consumption/"
    with _client(transport, base_url, timeout_s, auth=(api_key, "")) as client:
        return _pages(client, path, params)
