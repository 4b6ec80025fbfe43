"""A statement as one self-contained HTML page: inline CSS and an inline SVG chart, no external assets.

Built with :func:`html.escape` (no template engine): every text that comes from data is escaped. No PDF is
produced — a faithful PDF of this page needs a browser engine; the page prints cleanly to PDF from any browser.
"""

from __future__ import annotations

from datetime import date
from html import escape

from evflex.billing import BillLine, LineKind
from evflex.billing.money import format_gbp
from evflex.operations.statement import DailyEnergy, Statement

__all__ = ["daily_chart_svg", "statement_html"]

_CSS = """
:root{--ink:#1d2330;--muted:#5b6475;--line:#d9dee7;--bg:#f6f8fb;--home:#3b6fd8;--ev:#17a673;--car:#f08c2e;
--solar:#e8c21c;--warn:#b3261e;--flag:#8a5a00}
*{box-sizing:border-box}body{margin:0;background:var(--bg);color:var(--ink);
font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif}
main{max-width:900px;margin:24px auto;background:#fff;padding:32px 40px;border:1px solid var(--line);border-radius:8px}
h1{font-size:24px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 10px;border-bottom:1px solid var(--line);
padding-bottom:4px}.muted{color:var(--muted)}.head{display:flex;justify-content:space-between;gap:24px;flex-wrap:wrap}
.head dl{display:grid;grid-template-columns:auto auto;gap:2px 12px;margin:0;font-size:14px}
.head dt{color:var(--muted)}.head dd{margin:0}
.cards{display:grid;grid-template-columns:repeat(4,1fr);gap:12px;margin-top:20px}
.card{border:1px solid var(--line);border-radius:6px;padding:10px 12px}.card b{display:block;font-size:20px}
.card span{color:var(--muted);font-size:13px}
.box{border-radius:6px;padding:10px 14px;margin:14px 0;font-size:14px}
.warn{background:#fdecea;border:1px solid #f3b8b3;color:var(--warn)}
.flag{background:#fff6e0;border:1px solid #f0d48a;color:var(--flag)}
.box strong{display:block;margin-bottom:2px}
table{width:100%;border-collapse:collapse;font-size:14px}th,td{padding:6px 8px;border-bottom:1px solid var(--line);
vertical-align:top}th{text-align:left;color:var(--muted);font-weight:600;font-size:13px}
td.n,th.n{text-align:right;white-space:nowrap}td.src{color:var(--muted);font-size:12.5px}
tr.total td{font-weight:700;border-top:2px solid var(--ink);border-bottom:none}
tr.credit td.n.amt{color:#0b7a50}
.legend{display:flex;gap:16px;font-size:13px;color:var(--muted);margin:6px 0 0}
.legend i{display:inline-block;width:11px;height:11px;border-radius:2px;margin-right:5px;vertical-align:-1px}
ul.notes{font-size:13px;color:var(--muted);padding-left:18px}
@media print{body{background:#fff}main{border:none;margin:0;padding:0}}
@media (max-width:700px){main{padding:20px}.cards{grid-template-columns:repeat(2,1fr)}}
"""


def _kwh(value: float) -> str:
    return f"{value:,.2f}"


def _line_row(line: BillLine) -> str:
    qty = f"{line.quantity:,.2f} {escape(line.unit)}" if line.unit else ""
    rate = ""
    if line.kind in (LineKind.ENERGY, LineKind.EV_CHARGING, LineKind.EXPORT_CREDIT, LineKind.STANDING_CHARGE):
        average = line.average_rate
        if average is not None:
            rate = f"{abs(average):.2f} p/{escape(line.unit.rstrip('s') or 'unit')}"
    css = ' class="credit"' if line.amount_gbp < 0 else ""
    amount = escape(format_gbp(line.amount_gbp))
    return (
        f'<tr{css}><td>{escape(line.label)}</td><td class="n">{qty}</td><td class="n">{rate}</td>'
        f'<td class="src">{escape(line.meter)}</td><td class="n amt">{amount}</td></tr>'
    )


def daily_chart_svg(daily: DailyEnergy, width: int = 820, height: int = 240) -> str:
    """Bars per local day: home use and EV charging above the axis, car and solar export below (kWh)."""
    n = len(daily.days)
    if n == 0:
        return ""
    left, right, top, bottom = 44, 8, 10, 26
    up = [h + c for h, c in zip(daily.home_import_kwh, daily.ev_charge_kwh, strict=True)]
    down = [d + s for d, s in zip(daily.ev_discharge_kwh, daily.home_export_kwh, strict=True)]
    top_max, bottom_max = max(max(up), 1e-9), max(down)
    plot_h = height - top - bottom
    up_h = plot_h * top_max / (top_max + bottom_max) if bottom_max > 0 else plot_h
    scale = up_h / top_max
    axis_y = top + up_h
    step = (width - left - right) / n
    bar = max(step * 0.7, 1.0)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" role="img" '
        f'aria-label="Daily energy, kWh">',
        f'<line x1="{left}" y1="{axis_y:.1f}" x2="{width - right}" y2="{axis_y:.1f}" stroke="#1d2330" '
        'stroke-width="1"/>',
    ]
    for value, y in ((top_max, top), (0.0, axis_y), (bottom_max, axis_y + bottom_max * scale)):
        if value == 0.0 and y != axis_y:
            continue
        sign = "−" if y > axis_y else ""
        parts.append(
            f'<text x="{left - 6}" y="{y + 4:.1f}" font-size="11" text-anchor="end" fill="#5b6475">'
            f"{sign}{value:.0f}</text>"
        )
    parts.append(
        f'<text x="10" y="{top + up_h / 2:.1f}" font-size="11" fill="#5b6475" '
        f'transform="rotate(-90 10 {top + up_h / 2:.1f})" text-anchor="middle">kWh</text>'
    )
    for i, day in enumerate(daily.days):
        x = left + i * step + (step - bar) / 2
        y = axis_y
        for value, colour, name in (
            (daily.home_import_kwh[i], "#3b6fd8", "home use"),
            (daily.ev_charge_kwh[i], "#17a673", "EV charging"),
        ):
            h = value * scale
            y -= h
            parts.append(_rect(x, y, bar, h, colour, f"{day:%d %b}: {name} {value:.1f} kWh"))
        y = axis_y
        for value, colour, name in (
            (daily.ev_discharge_kwh[i], "#f08c2e", "car export"),
            (daily.home_export_kwh[i], "#e8c21c", "solar/battery export"),
        ):
            h = value * scale
            parts.append(_rect(x, y, bar, h, colour, f"{day:%d %b}: {name} {value:.1f} kWh"))
            y += h
        if daily.estimated_periods[i]:
            parts.append(
                f'<text x="{x + bar / 2:.1f}" y="{top + 9}" font-size="11" text-anchor="middle" fill="#8a5a00">'
                f"<title>{daily.estimated_periods[i]} half-hours estimated</title>≈</text>"
            )
        if day.day == 1 or day.day % 5 == 0:
            parts.append(
                f'<text x="{x + bar / 2:.1f}" y="{height - 8}" font-size="11" text-anchor="middle" '
                f'fill="#5b6475">{day.day}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)


def _rect(x: float, y: float, w: float, h: float, colour: str, title: str) -> str:
    if h <= 0:
        return ""
    return (
        f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" fill="{colour}">'
        f"<title>{escape(title)}</title></rect>"
    )


def _date(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def statement_html(statement: Statement) -> str:
    """The statement as a complete HTML document (UTF-8)."""
    s, a, e = statement, statement.account, statement.energy
    days = s.daily.days
    title = f"{days[0]:%B %Y} statement"
    credit = -s.bill.amount(LineKind.EV_CREDIT)
    export_credit = -s.bill.amount(LineKind.EXPORT_CREDIT)
    out = [
        "<!DOCTYPE html>",
        '<html lang="en-GB"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width,initial-scale=1">',
        f"<title>{escape(title)} – {escape(a.customer_name)}</title><style>{_CSS}</style></head><body><main>",
        '<div class="head"><div>',
        f"<h1>{escape(title)}</h1>",
        f'<div class="muted">{escape(_date(days[0]))} – {escape(_date(days[-1]))} · {s.n_days} days · '
        f"{s.timeline.n_periods} half-hours</div></div>",
        "<dl>",
        f"<dt>Customer</dt><dd>{escape(a.customer_name)}</dd>",
        f"<dt>Account</dt><dd>{escape(a.account_id)}</dd>",
        f"<dt>Region</dt><dd>{escape(a.region)}</dd>",
        f"<dt>Supply</dt><dd>{escape(s.supply_name)}</dd>",
        f"<dt>Tariff codes</dt><dd>{escape(' + '.join(s.tariff_codes))}</dd>",
        "</dl></div>",
        '<div class="cards">',
        f'<div class="card"><span>Total this month</span><b>{escape(format_gbp(s.total_gbp))}</b></div>',
        f'<div class="card"><span>EV charging, free</span><b>{_kwh(e.ev_charge_kwh)} kWh</b>'
        f"<span>{escape(format_gbp(credit))} credited · ≈ {s.charged_miles:,.0f} miles</span></div>",
        f'<div class="card"><span>From your car (free miles)</span><b>{_kwh(e.ev_discharge_kwh)} kWh</b>'
        f"<span>≈ {s.free_miles:,.0f} miles at {a.kwh_per_mile:g} kWh/mile, unpaid</span></div>",
        f'<div class="card"><span>Solar/battery export</span><b>{_kwh(e.home_export_kwh)} kWh</b>'
        f"<span>{escape(format_gbp(export_credit))} credited</span></div>",
        "</div>",
    ]
    for text in s.warnings:
        out.append(f'<div class="box warn"><strong>Warning: meter and charger disagree</strong>{escape(text)}</div>')
    for text in s.flags:
        out.append(f'<div class="box flag"><strong>Estimated charger data</strong>{escape(text)}</div>')

    out += [
        "<h2>Charges and credits</h2>",
        '<table><thead><tr><th>Item</th><th class="n">Quantity</th><th class="n">Average rate</th>'
        '<th>Source</th><th class="n">Amount</th></tr></thead><tbody>',
        *(_line_row(line) for line in s.lines),
        f'<tr class="total"><td>Total</td><td></td><td></td><td></td>'
        f'<td class="n">{escape(format_gbp(s.total_gbp))}</td></tr>',
        "</tbody></table>",
        '<p class="muted" style="font-size:13px">Your home is billed at your tariff\'s rates; your EV charging is '
        "charged at the same rates and credited back, so it is free. Energy your car exports counts toward your "
        "free miles and is not paid; solar or battery export is paid at your export rate. Rates exclude VAT; the "
        "VAT line adds it.</p>",
        "<h2>Daily energy</h2>",
        daily_chart_svg(s.daily),
        '<div class="legend"><span><i style="background:var(--home)"></i>home use</span>'
        '<span><i style="background:var(--ev)"></i>EV charging</span>'
        '<span><i style="background:var(--car)"></i>car export</span>'
        '<span><i style="background:var(--solar)"></i>solar/battery export</span>'
        + ("<span>≈ day with estimated charger data</span>" if any(s.daily.estimated_periods) else "")
        + "</div>",
        "<h2>Meter and charger</h2>",
        _energy_table(s),
    ]
    if s.notes:
        out.append('<ul class="notes">' + "".join(f"<li>{escape(n)}</li>" for n in s.notes) + "</ul>")
    out.append("</main></body></html>")
    return "\n".join(out)


def _energy_table(s: Statement) -> str:
    e, r = s.energy, s.reconciliation
    rows = [
        ("Smart meter import", e.meter_import_kwh, "smart meter"),
        ("Smart meter export", e.meter_export_kwh, "smart meter"),
        ("EV charging", e.ev_charge_kwh, "charger" + (" (part estimated)" if s.estimate.n_periods else "")),
        ("EV discharge (car export)", e.ev_discharge_kwh, "charger" + (" (part estimated)" if s.estimate.n_periods
                                                                      else "")),
    ]
    if e.solar_kwh is not None:
        rows.append(("Solar generation", e.solar_kwh, "generation meter"))
    rows += [
        ("Home use billed", e.home_import_kwh, "derived: import − export − EV charge + EV discharge, where > 0"),
        ("Solar/battery export paid", e.home_export_kwh, "derived: export not from the car"),
    ]
    body = "".join(
        f'<tr><td>{escape(label)}</td><td class="n">{_kwh(kwh)} kWh</td><td class="src">{escape(src)}</td></tr>'
        for label, kwh, src in rows
    )
    verdict = (
        f"within tolerance: {r.unexplained_kwh:.2f} kWh unexplained ≤ {r.tolerance_kwh:.2f} kWh"
        if r.ok
        else f"outside tolerance: {r.unexplained_kwh:.2f} kWh unexplained > {r.tolerance_kwh:.2f} kWh"
    )
    body += (
        f'<tr><td>Reconciliation ({r.checked_periods} half-hours with charger data)</td><td class="n"></td>'
        f'<td class="src">{escape(verdict)}; tolerance: {escape(r.tolerance_rule)}</td></tr>'
    )
    return (
        '<table><thead><tr><th>Energy</th><th class="n">This month</th><th>Source</th></tr></thead>'
        f"<tbody>{body}</tbody></table>"
    )
