#!/usr/bin/python3
"""A credits page: a small read-only web application over credit_ledger.

Run it next to the database, connected as a reader role (one that
credit_ledger.grant_access(role, writer => false) made), and point a browser
at a customer:

    python3 examples/portal/portal.py --dsn 'dbname=app user=credit_portal'

Pages (every one takes ?customer=...&credit_type=...):

  /            customers (a search box) and the finance link
  /wallets     a customer's wallets: balance, scheduled, expiring, debt, and
               held/pending where wallet_summary has them (credit_ledger 1.2);
               a statement over a range of dates (credit_statement)
  /usage       a stacked usage chart by feature over a chosen range (SVG drawn
               here, bars per day/week/month) from credit_usage_report
  /grants      the credit blocks with statuses and days left (grant_status)
  /ledger      the entries, newest first, keyset-paged (credit_entries)
  /finance     credit_revenue per period, across customers

Python standard library plus Debian's psycopg 3 (python3-psycopg); nothing is
fetched at run time. The portal never writes: its sessions are read-only
(default_transaction_read_only), it refuses to start as a role that may call
the ledger's writing functions, and every value reaches SQL as a bound
parameter and the page HTML-escaped.
"""

import argparse
import datetime as dt
import html
import math
import re
import sys
import urllib.parse
from decimal import Decimal
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import psycopg

GRANULARITIES = ("day", "week", "month")
PAGE_SIZES = (10, 25, 50, 100)
MAX_BARS = 400
# Feature colours of the chart, assigned in sorted order of the features a
# chart shows (the legend says which is which).
PALETTE = ("#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2",
           "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac")



# The reader set (what a role given credit_ledger.grant_access(role, writer
# => false) may call) is the extension's own list, credit_ledger.
# reader_functions() (1.2). Releases 1.0 and 1.1 have no such function;
# their reader set, frozen with them, was this.
READER_FUNCTIONS_1_1 = ("credit_balance", "credit_entries", "credit_usage", "credit_verify",
                        "ledger_now")

class PageError(Exception):
    """Bad input from the browser: shown as a 400 page."""


def esc(value):
    """HTML-escapes anything (quotes too: safe in attribute values)."""
    return html.escape("" if value is None else str(value), quote=True)


def fmt(value):
    """A number as people read it: exact decimals with thousands separators."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value:,}"
    return str(value)


def money(value):
    """Money as stored (value = amount x cost basis has four decimals): exact,
    with the zeros past the cents dropped (585.0000 -> 585.00, 0.1250 ->
    0.125)."""
    if value is None:
        return ""
    value = Decimal(value)
    if value == value.quantize(Decimal("0.01")):
        value = value.quantize(Decimal("0.01"))
    else:
        value = value.normalize()
    return f"{value:,}"


def fmt_time(value):
    return "" if value is None else value.strftime("%Y-%m-%d %H:%M")


def link(path, **params):
    """A URL of the portal with its query built by urlencode (never by hand)."""
    params = {k: v for k, v in params.items() if v is not None and v != ""}
    return path + ("?" + urllib.parse.urlencode(params) if params else "")


def parse_date(text, name):
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise PageError(f"{name} must be a date (YYYY-MM-DD)") from None


class Ledger:
    """The portal's view of one database: read-only sessions, one per request."""

    def __init__(self, dsn, time_zone):
        self.dsn = dsn
        self.time_zone = time_zone

    def connect(self):
        conn = psycopg.connect(
            self.dsn,
            options=f"-c default_transaction_read_only=on -c statement_timeout=15000"
                    f" -c TimeZone={self.time_zone}",
            application_name="credit_ledger portal")
        conn.read_only = True
        # The extension's functions live in the schema chosen at CREATE
        # EXTENSION; put it on the path (after pg_catalog) for this session.
        row = conn.execute(
            "SELECT n.nspname FROM pg_extension x JOIN pg_namespace n"
            " ON n.oid = x.extnamespace WHERE x.extname = 'credit_ledger'").fetchone()
        if row is None:
            conn.close()
            raise RuntimeError("the credit_ledger extension is not installed in this database")
        conn.execute("SELECT set_config('search_path', 'pg_catalog, ' || quote_ident(%s), false)",
                     (row[0],))
        conn.commit()
        return conn

    @staticmethod
    def capabilities(conn):
        """What this install offers: report functions, their arguments, and
        the columns of wallet_summary and grant_status, as (view, column)
        (held and pending arrive with 1.2)."""
        functions = {}
        for name, args in conn.execute(
                "SELECT p.proname, coalesce(p.proargnames, '{}')"
                "  FROM pg_proc p JOIN pg_depend d ON d.classid = 'pg_proc'::regclass"
                "   AND d.objid = p.oid AND d.deptype = 'e'"
                "  JOIN pg_extension x ON x.oid = d.refobjid AND x.extname = 'credit_ledger'"
                " WHERE p.proname = ANY (%s)",
                (["credit_usage_report", "credit_revenue", "credit_entries", "credit_usage",
                  "credit_statement"],)):
            functions.setdefault(name, set()).update(args)
        columns = {(r[0], r[1]) for r in conn.execute(
            "SELECT attrelid::regclass::text, attname FROM pg_attribute"
            " WHERE attrelid IN ('credit_ledger.wallet_summary'::regclass,"
            "                    'credit_ledger.grant_status'::regclass)"
            "   AND attnum > 0 AND NOT attisdropped")}
        return functions, columns

    @staticmethod
    def reader_functions(conn):
        """The reader set of the installed release: credit_ledger.
        reader_functions() where it exists (1.2 on), else 1.1's."""
        if conn.execute("SELECT to_regprocedure('credit_ledger.reader_functions()') IS NULL").fetchone()[0]:
            return list(READER_FUNCTIONS_1_1)
        return conn.execute("SELECT credit_ledger.reader_functions()").fetchone()[0]

    @staticmethod
    def may_write(conn):
        """True when the role is a superuser or may call any of the ledger's
        functions that write: every VOLATILE one but those of the reader set
        (credit_ledger.grant_access(role, writer => false) gives them; they
        only read the ledger: credit_verify, credit_revenue and the revenue
        summary's revenue_close, which keeps a cache and does nothing in the
        portal's read-only sessions)."""
        readers = Ledger.reader_functions(conn)
        return conn.execute(
            "SELECT r.rolsuper OR EXISTS ("
            "  SELECT FROM pg_proc p JOIN pg_depend d ON d.classid = 'pg_proc'::regclass"
            "   AND d.objid = p.oid AND d.deptype = 'e'"
            "  JOIN pg_extension x ON x.oid = d.refobjid AND x.extname = 'credit_ledger'"
            "  WHERE p.provolatile = 'v'"
            "    AND p.proname <> ALL (%s)"
            "    AND has_function_privilege(p.oid, 'EXECUTE'))"
            "  FROM pg_roles r WHERE r.rolname = current_user",
            (readers,)).fetchone()[0]


# --- pages ---------------------------------------------------------------

STYLE = """
body { font-family: system-ui, sans-serif; margin: 0; color: #1d2330; background: #f6f7f9; }
header { background: #1d2330; color: #fff; padding: 10px 24px; display: flex; gap: 24px; align-items: baseline; }
header a { color: #cfd8ea; text-decoration: none; } header a.here { color: #fff; font-weight: 600; }
header .brand { font-weight: 700; color: #fff; }
main { padding: 16px 24px; max-width: 1100px; }
h1 { font-size: 1.3em; margin: 8px 0 12px; } h2 { font-size: 1.05em; margin: 20px 0 8px; }
table { border-collapse: collapse; background: #fff; font-size: 0.9em; }
th, td { white-space: nowrap; padding: 5px 10px; border-bottom: 1px solid #e3e6eb; text-align: left; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.badge { padding: 1px 8px; border-radius: 9px; font-size: 0.85em; background: #e3e6eb; }
.badge.active { background: #d6f0d9; } .badge.expired, .badge.voided { background: #f6d5d5; }
.badge.scheduled, .badge.pending { background: #dde7f7; } .badge.depleted { background: #eee; }
.notice { background: #fff6d9; border: 1px solid #e8d48a; padding: 8px 12px; margin: 8px 0; }
.error { background: #fbe3e3; border: 1px solid #e2a3a3; padding: 8px 12px; margin: 8px 0; }
form.filters { margin: 8px 0 12px; display: flex; gap: 10px; align-items: end; flex-wrap: wrap; }
form.filters label { display: flex; flex-direction: column; font-size: 0.8em; }
.paging a { margin-right: 16px; }
.cards { display: flex; gap: 12px; flex-wrap: wrap; }
.card { background: #fff; border: 1px solid #e3e6eb; padding: 10px 14px; min-width: 130px; }
.card .label { font-size: 0.8em; color: #5b6475; } .card .value { font-size: 1.4em; font-weight: 600; }
"""


def page(title, body, nav=None, here=""):
    tabs = ""
    if nav:
        items = [("wallets", "Wallets"), ("usage", "Usage"), ("grants", "Grants"), ("ledger", "Ledger")]
        tabs = "".join(
            f'<a class="{"here" if here == key else ""}" id="nav-{key}" href="{esc(link("/" + key, **nav))}">{label}</a>'
            for key, label in items)
    finance_class = "here" if here == "finance" else ""
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>{esc(title)}</title><style>{STYLE}</style></head><body>"
        f'<header><a class="brand" href="/">Credits</a>{tabs}'
        f'<a class="{finance_class}" id="nav-finance" href="/finance">Finance</a></header>'
        f"<main>{body}</main></body></html>")


def table(headers, rows, numeric=(), row_class="row"):
    head = "".join(f'<th class="{"num" if h in numeric else ""}">{esc(h)}</th>' for h in headers)
    lines = []
    for row in rows:
        cells = "".join(f'<td class="{"num" if h in numeric else ""}" data-col="{esc(h)}">{cell}</td>'
                        for h, cell in zip(headers, row))
        lines.append(f'<tr class="{row_class}">{cells}</tr>')
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(lines)}</tbody></table>"


def require_customer(q):
    customer = q.get("customer", "")
    if not customer:
        raise PageError("choose a customer first")
    return customer


def credit_type_of(conn, q, customer):
    """The credit type asked for, or the customer's first wallet's."""
    credit_type = q.get("credit_type") or None
    if credit_type is None:
        row = conn.execute("SELECT credit_type FROM credit_ledger.wallets"
                           " WHERE customer_id = %s ORDER BY credit_type LIMIT 1",
                           (customer,)).fetchone()
        if row is None:
            raise PageError("this customer has no wallet")
        credit_type = row[0]
    return credit_type


def scale_of(conn, credit_type):
    row = conn.execute("SELECT scale FROM credit_ledger.credit_types WHERE credit_type = %s",
                       (credit_type,)).fetchone()
    return row[0] if row else 0


def page_index(conn, q):
    search = q.get("q", "")
    rows = conn.execute(
        "SELECT customer_id, count(*), string_agg(credit_type, ', ' ORDER BY credit_type)"
        "  FROM credit_ledger.wallets"
        " WHERE %s = '' OR strpos(lower(customer_id), lower(%s)) > 0"
        " GROUP BY customer_id ORDER BY customer_id LIMIT 100",
        (search, search)).fetchall()
    form = ('<form class="filters" method="get" action="/"><label>Customer'
            f'<input name="q" value="{esc(search)}" placeholder="customer id"></label>'
            '<button>Find</button></form>')
    listing = table(["customer", "wallets", "credit types"],
                    [(f'<a href="{esc(link("/wallets", customer=c))}">{esc(c)}</a>', n, esc(t))
                     for c, n, t in rows])
    return page("Credits", f"<h1>Customers</h1>{form}{listing}")


def page_wallets(conn, q, caps):
    customer = require_customer(q)
    _, columns = caps
    extra = [c for c in ("held", "pending") if ("credit_ledger.wallet_summary", c) in columns]
    cols = ["credit_type", "ledger_balance", "available", *extra, "scheduled",
            "expiring_30d", "debt", "overdraft_limit", "entries"]
    query = ("SELECT " + ", ".join(f"s.{c}" for c in cols) + ", t.unit_plural"
             " FROM credit_ledger.wallet_summary s"
             " LEFT JOIN credit_ledger.credit_types t ON t.credit_type = s.credit_type"
             " WHERE s.customer_id = %s ORDER BY s.credit_type")
    rows = conn.execute(query, (customer,)).fetchall()
    if not rows:
        raise PageError("this customer has no wallet")
    body = [f'<h1>Wallets of <span id="customer">{esc(customer)}</span></h1>']
    for row in rows:
        values = dict(zip(cols, row))
        ct = values["credit_type"]
        nav = dict(customer=customer, credit_type=ct)
        cards = [("Balance", values["ledger_balance"], "balance"),
                 ("Available now", values["available"], "available")]
        cards += [(c.capitalize(), values[c], c) for c in extra]
        cards += [("Scheduled", values["scheduled"], "scheduled"),
                  ("Expiring in 30 days", values["expiring_30d"], "expiring"),
                  ("Debt", values["debt"], "debt")]
        card_html = "".join(
            f'<div class="card"><div class="label">{esc(label)}</div>'
            f'<div class="value" data-field="{esc(key)}">{esc(fmt(v))}</div></div>'
            for label, v, key in cards)
        links = " · ".join(f'<a href="{esc(link("/" + p, **nav))}">{p}</a>'
                           for p in ("usage", "grants", "ledger"))
        body.append(f'<section class="wallet" data-credit-type="{esc(ct)}">'
                    f"<h2>{esc(ct)} <small>({esc(row[-1] or 'credits')})</small></h2>"
                    f'<div class="cards">{card_html}</div>'
                    f"<p>{values['entries']} entries · overdraft limit {esc(fmt(values['overdraft_limit']))}"
                    f" · {links}</p></section>")
    if not extra:
        body.append('<p class="notice" id="no-held">Held and pending credit appear here once the'
                    " database runs credit_ledger 1.2 (wallet_summary has no held/pending columns yet).</p>")
    body.append(statement(conn, q, caps, customer, rows[0][0]))
    nav = dict(customer=customer, credit_type=rows[0][0])
    return page(f"Wallets of {customer}", "".join(body), nav, "wallets")


STATEMENT_LINES = ("opening_balance", "granted", "used", "reversed", "adjusted", "expired", "voided",
                   "closing_balance", "rolled_over")


def statement(conn, q, caps, customer, credit_type):
    """The customer's statement of one credit type over a range of dates
    (default: the ledger's current month), from credit_statement."""
    functions, _ = caps
    credit_type = q.get("credit_type") or credit_type
    if "credit_statement" not in functions:
        return ('<p class="notice" id="no-statement">Statements appear here once the database runs'
                " credit_ledger 1.2 (credit_statement).</p>")
    today = conn.execute("SELECT (credit_ledger.ledger_now() AT TIME ZONE 'UTC')::date").fetchone()[0]
    start = parse_date(q["from"], "from") if q.get("from") else today.replace(day=1)
    end = parse_date(q["to"], "to") if q.get("to") else today
    if end < start:
        raise PageError("the range ends before it starts")
    row = conn.execute(
        "SELECT " + ", ".join(STATEMENT_LINES) + " FROM credit_statement(%s, %s,"
        " %s::timestamp AT TIME ZONE 'UTC', %s::timestamp AT TIME ZONE 'UTC')",
        (customer, credit_type, start, end + dt.timedelta(days=1))).fetchone()
    form = (f'<form class="filters" method="get" action="/wallets">'
            f'<input type="hidden" name="customer" value="{esc(customer)}">'
            f'<input type="hidden" name="credit_type" value="{esc(credit_type)}">'
            f'<label>From<input type="date" name="from" value="{esc(start)}"></label>'
            f'<label>To (inclusive)<input type="date" name="to" value="{esc(end)}"></label>'
            "<button>Show</button></form>")
    lines = [(esc(name.replace("_", " ") + (" (memo)" if name == "rolled_over" else "")), esc(fmt(v)))
             for name, v in zip(STATEMENT_LINES, row)]
    return (f"<h2>Statement of {esc(credit_type)}, {esc(start)} to {esc(end)} (UTC)</h2>{form}"
            + table(["line", "credits"], lines, numeric=("credits",), row_class="statement"))


def date_range(conn, q):
    """[start, end] dates from the form, defaulting to the 30 days up to the
    ledger's today."""
    today = conn.execute("SELECT (credit_ledger.ledger_now() AT TIME ZONE %s)::date",
                         (q.get("tz") or "UTC",)).fetchone()[0]
    end = parse_date(q["to"], "to") if q.get("to") else today
    start = parse_date(q["from"], "from") if q.get("from") else end - dt.timedelta(days=29)
    if end < start:
        raise PageError("the range ends before it starts")
    if (end - start).days > 3660:
        raise PageError("choose a range of at most ten years")
    return start, end


def range_form(path, q, extra_fields=""):
    granularity = q.get("granularity", "day")
    options = "".join(f'<option{" selected" if g == granularity else ""}>{g}</option>'
                      for g in GRANULARITIES)
    hidden = "".join(f'<input type="hidden" name="{k}" value="{esc(q[k])}">'
                     for k in ("customer", "credit_type") if q.get(k))
    return (f'<form class="filters" method="get" action="{path}">{hidden}'
            f'<label>From<input type="date" name="from" value="{esc(q["from"])}"></label>'
            f'<label>To (inclusive)<input type="date" name="to" value="{esc(q["to"])}"></label>'
            f'<label>Per<select name="granularity">{options}</select></label>'
            f'<label>Time zone<input name="tz" value="{esc(q.get("tz") or "UTC")}" size="14"></label>'
            f"{extra_fields}<button>Show</button></form>")


def use_time_zone(conn, tz):
    """Checks a time zone from the browser and makes it the session's, so
    that the periods the reports return read as local dates."""
    if conn.execute("SELECT count(*) FROM pg_timezone_names WHERE name = %s", (tz,)).fetchone()[0] == 0:
        raise PageError("unknown time zone")
    conn.execute("SELECT set_config('TimeZone', %s, false)", (tz,))


def periods(conn, start, end, granularity, tz):
    """Every period that meets [start, end], as timestamptz starts in tz."""
    return [r[0] for r in conn.execute(
        "SELECT generate_series(date_trunc(%(g)s, %(s)s::timestamp),"
        "                       %(e)s::timestamp, ('1 ' || %(g)s)::interval) AT TIME ZONE %(tz)s",
        {"g": granularity, "s": start, "e": end, "tz": tz})]


def nice_ceiling(value):
    """The smallest of 1, 2, 2.5, 5 times a power of ten that is >= value:
    the chart's top, so that its four gridlines fall on round numbers."""
    value = float(value)
    if value <= 0:
        return 1.0
    step = 10.0 ** math.floor(math.log10(value))
    for m in (1, 2, 2.5, 5, 10):
        if m * step >= value:
            return m * step
    return 10 * step


def usage_chart(period_starts, usage, features, granularity):
    """A stacked bar chart as SVG: one bar per period, one rect per feature
    with positive net usage in it, a legend. Drawn here; no script."""
    width, height, left, bottom, top = 860, 300, 70, 40, 14
    colours = {f: PALETTE[i % len(PALETTE)] for i, f in enumerate(features)}
    totals = [sum(max(usage.get((p, f), 0), 0) for f in features) for p in period_starts]
    peak = nice_ceiling(max(totals, default=0))
    plot_h = height - bottom - top
    slot = (width - left - 10) / max(len(period_starts), 1)
    bar_w = max(min(slot * 0.7, 60), 2)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" id="usage-chart" width="{width}" '
             f'height="{height + 24 + 18 * ((len(features) + 3) // 4)}" role="img" '
             f'aria-label="usage by feature" style="background:#fff">']
    for i in range(5):  # gridlines and their values
        v = peak * i / 4
        y = top + plot_h - plot_h * i / 4
        parts.append(f'<line x1="{left}" x2="{width - 10}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e3e6eb"/>'
                     f'<text x="{left - 6}" y="{y + 4:.1f}" font-size="11" text-anchor="end">{v:,.0f}</text>')
    label_every = max(1, len(period_starts) // 12)
    for i, p in enumerate(period_starts):
        x = left + slot * i + (slot - bar_w) / 2
        y = top + plot_h
        for f in features:
            v = usage.get((p, f), 0)
            if v <= 0:
                continue
            h = plot_h * float(v) / float(peak)
            y -= h
            parts.append(f'<rect class="bar" x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{h:.1f}"'
                         f' fill="{colours[f]}" data-period="{esc(p.date())}" data-feature="{esc(f)}"'
                         f' data-credits="{esc(v)}"><title>{esc(f)} {esc(p.date())}: {esc(fmt(v))}</title></rect>')
        if i % label_every == 0:
            label = p.strftime("%b %Y") if granularity == "month" else p.strftime("%b %d")
            parts.append(f'<text x="{x + bar_w / 2:.1f}" y="{top + plot_h + 16}" font-size="11"'
                         f' text-anchor="middle">{esc(label)}</text>')
    for i, f in enumerate(features):  # the legend, four to a line
        lx = left + (i % 4) * 200
        ly = height + 10 + 18 * (i // 4)
        parts.append(f'<g class="legend-item"><rect class="swatch" x="{lx}" y="{ly}" width="12" height="12"'
                     f' fill="{colours[f]}"/><text x="{lx + 18}" y="{ly + 11}" font-size="12">{esc(f)}</text></g>')
    parts.append("</svg>")
    return "".join(parts)


def page_usage(conn, q, caps):
    customer = require_customer(q)
    credit_type = credit_type_of(conn, q, customer)
    functions, _ = caps
    granularity = q.get("granularity") or "day"
    if granularity not in GRANULARITIES:
        raise PageError("granularity is day, week or month")
    tz = q.get("tz") or "UTC"
    use_time_zone(conn, tz)
    start, end = date_range(conn, q)
    q = dict(q, **{"from": start.isoformat(), "to": end.isoformat(), "granularity": granularity, "tz": tz,
                   "credit_type": credit_type})
    nav = dict(customer=customer, credit_type=credit_type)
    bounds = {"s": start, "e": end + dt.timedelta(days=1), "tz": tz, "ct": credit_type,
              "c": customer, "g": granularity}
    note = ""
    if "credit_usage_report" in functions:
        rows = conn.execute(
            "SELECT period_start, group_key, credits, value, events FROM credit_usage_report("
            " start_at => %(s)s::timestamp AT TIME ZONE %(tz)s, end_at => %(e)s::timestamp AT TIME ZONE %(tz)s,"
            " credit_type => %(ct)s, customer_id => %(c)s, group_by => 'feature',"
            " granularity => %(g)s, time_zone => %(tz)s)", bounds).fetchall()
    elif "credit_usage" in functions:
        note = ('<p class="notice" id="fallback">credit_usage_report is not in this database'
                " (it arrives with credit_ledger 1.2); this chart comes from credit_usage.</p>")
        rows = conn.execute(
            "SELECT period_start, feature, credits, value, NULL FROM credit_usage("
            " %(c)s, %(ct)s, %(s)s::timestamp AT TIME ZONE %(tz)s, %(e)s::timestamp AT TIME ZONE %(tz)s,"
            " %(g)s, %(tz)s)", bounds).fetchall()
    else:
        raise PageError("this database has no usage report function")
    slots = periods(conn, start, end, granularity, tz)
    if len(slots) > MAX_BARS:
        raise PageError(f"that is {len(slots)} bars: choose a shorter range or a longer period")
    usage, events, values = {}, {}, {}
    for period_start, key, credits, value, n in rows:
        key = key if key is not None else "(no feature)"
        usage[(period_start, key)] = usage.get((period_start, key), 0) + credits
        values[key] = values.get(key, 0) + (value or 0)
        if n is not None:
            events[key] = events.get(key, 0) + n
    features = sorted({k for _, k in usage})
    chart = usage_chart(slots, usage, features, granularity) if features else \
        '<p class="notice" id="no-usage">No usage in this range.</p>'
    summary = table(
        ["feature", "credits", "value", "events"],
        [(esc(f), esc(fmt(sum(v for (p, k), v in usage.items() if k == f))),
          esc(money(values.get(f))), esc(events.get(f, "")))
         for f in features],
        numeric=("credits", "value", "events"))
    total = sum(usage.values())
    body = (f'<h1>Usage of <span id="customer">{esc(customer)}</span> · {esc(credit_type)}</h1>'
            f"{range_form('/usage', q)}{note}{chart}"
            f'<h2>By feature, {esc(start)} to {esc(end)}: <span id="usage-total">{esc(fmt(total))}</span> credits</h2>'
            f"{summary}")
    return page(f"Usage of {customer}", body, nav, "usage")


def page_grants(conn, q, caps):
    customer = require_customer(q)
    credit_type = credit_type_of(conn, q, customer)
    # grant_status has `held` from 1.2 on: the part of a block a hold reserves.
    held = ("credit_ledger.grant_status", "held") in caps[1]
    rows = conn.execute(
        "SELECT grant_id, status, amount, remaining, " + ("held" if held else "NULL") + ","
        "       used, usage_percent, promotional,"
        "       cost_basis, effective_at, expires_at, days_left, reason, source_id"
        "  FROM credit_ledger.grant_status WHERE customer_id = %s AND credit_type = %s"
        " ORDER BY grant_id DESC", (customer, credit_type)).fetchall()
    shown = []
    for (gid, status, amount, remaining, held_part, used, pct, promo, cost, eff, exp, days, reason,
         src) in rows:
        shown.append((esc(gid), f'<span class="badge {esc(status)}">{esc(status)}</span>',
                      esc(fmt(amount)), esc(fmt(remaining)))
                     + ((esc(fmt(held_part)),) if held else ())
                     + (esc(fmt(used)), esc("" if pct is None else f"{pct}%"), "promotional" if promo else "paid",
                        esc(fmt(cost)), esc(fmt_time(eff)), esc(fmt_time(exp)),
                        esc("" if days is None else days), esc(reason), esc(src)))
    headers = ["grant", "status", "amount", "remaining"] + (["held"] if held else []) + [
        "used", "usage", "credit", "cost basis", "effective", "expires", "days left", "reason", "source"]
    body = (f'<h1>Grants of <span id="customer">{esc(customer)}</span> · {esc(credit_type)}</h1>'
            + (table(headers, shown,
                     numeric=("amount", "remaining", "held", "used", "usage", "cost basis", "days left"),
                     row_class="grant") if rows else '<p class="notice">No grants.</p>'))
    return page(f"Grants of {customer}", body, dict(customer=customer, credit_type=credit_type), "grants")


ENTRY_TYPES = ("grant", "usage", "adjustment", "reversal", "expiration", "void", "repayment",
               "amendment", "rollover")


def page_ledger(conn, q, caps):
    customer = require_customer(q)
    credit_type = credit_type_of(conn, q, customer)
    functions, _ = caps
    filters_ok = {"entry_types", "since", "until"} <= functions.get("credit_entries", set())
    try:
        size = int(q.get("size") or 25)
        before = int(q["before"]) if q.get("before") else None
    except ValueError:
        raise PageError("size and before are whole numbers") from None
    if size not in PAGE_SIZES:
        raise PageError("size is one of " + ", ".join(map(str, PAGE_SIZES)))
    entry_type = q.get("type") or None
    if entry_type is not None and entry_type not in ENTRY_TYPES:
        raise PageError("unknown entry type")
    since = parse_date(q["since"], "since") if q.get("since") else None
    until = parse_date(q["until"], "until") if q.get("until") else None
    if since and until and until < since:
        raise PageError("until is before since")
    note = ""
    if (entry_type or since or until) and not filters_ok:
        note = ('<p class="notice" id="no-filters">This database\'s credit_entries has no filters'
                " (they arrive with credit_ledger 1.2): showing every entry.</p>")
        entry_type = since = until = None
    params = {"c": customer, "ct": credit_type, "b": before, "n": size,
              "types": [entry_type] if entry_type else None,
              "since": since, "until": until + dt.timedelta(days=1) if until else None}
    cols = ("seq, entry_type, amount, value, balance_after, grant_id, operation_id, feature,"
            " source_id, reason, actor, occurred_at")
    if filters_ok:
        rows = conn.execute(
            f"SELECT {cols} FROM credit_entries(%(c)s, %(ct)s, before_seq => %(b)s, page_size => %(n)s,"
            " entry_types => %(types)s, since => %(since)s::timestamptz, until => %(until)s::timestamptz)",
            params).fetchall()
    else:
        rows = conn.execute(f"SELECT {cols} FROM credit_entries(%(c)s, %(ct)s, %(b)s, %(n)s)",
                            params).fetchall()
    last_seq = conn.execute("SELECT last_seq FROM credit_ledger.wallets WHERE customer_id = %s"
                            " AND credit_type = %s", (customer, credit_type)).fetchone()
    last_seq = last_seq[0] if last_seq else 0
    keep = dict(customer=customer, credit_type=credit_type, size=size if size != 25 else None,
                type=entry_type, since=since and since.isoformat(), until=until and until.isoformat())
    paging = []
    if before is not None:
        # The newer page: the `size` entries after this page's newest, found
        # by walking the key the other way with the same filters.
        newer = conn.execute(
            "SELECT max(seq) FROM (SELECT e.seq FROM credit_ledger.entries e"
            "  JOIN credit_ledger.wallets w ON w.wallet_id = e.wallet_id AND w.customer_id = e.customer_id"
            " WHERE w.customer_id = %(c)s AND w.credit_type = %(ct)s AND e.seq >= %(b)s"
            "   AND (%(types)s::text[] IS NULL OR e.entry_type = ANY (%(types)s::text[]))"
            "   AND (%(since)s::timestamptz IS NULL OR e.occurred_at >= %(since)s::timestamptz)"
            "   AND (%(until)s::timestamptz IS NULL OR e.occurred_at < %(until)s::timestamptz)"
            " ORDER BY e.seq LIMIT %(n)s) s", params).fetchone()[0]
        newer_before = None if newer is None or newer >= last_seq else newer + 1
        paging.append(f'<a id="newer" href="{esc(link("/ledger", **keep, before=newer_before))}">← Newer</a>')
    if len(rows) == size and rows[-1][0] > 1:
        paging.append(f'<a id="older" href="{esc(link("/ledger", **keep, before=rows[-1][0]))}">Older →</a>')
    type_options = '<option value="">all</option>' + "".join(
        f'<option{" selected" if t == entry_type else ""}>{t}</option>' for t in ENTRY_TYPES)
    form = ('<form class="filters" method="get" action="/ledger">'
            f'<input type="hidden" name="customer" value="{esc(customer)}">'
            f'<input type="hidden" name="credit_type" value="{esc(credit_type)}">'
            f'<label>Entry type<select name="type">{type_options}</select></label>'
            f'<label>Since<input type="date" name="since" value="{esc(since or "")}"></label>'
            f'<label>Until (inclusive)<input type="date" name="until" value="{esc(until or "")}"></label>'
            '<label>Per page<select name="size">' + "".join(
                f'<option{" selected" if s == size else ""}>{s}</option>' for s in PAGE_SIZES) +
            "</select></label><button>Show</button></form>")
    headers = ["seq", "type", "amount", "value", "balance after", "grant", "operation", "feature",
               "source", "reason", "actor", "occurred"]
    shown = [tuple(esc(fmt_time(c) if isinstance(c, dt.datetime) else money(c) if i == 3 else fmt(c))
                   for i, c in enumerate(r)) for r in rows]
    body = (f'<h1>Ledger of <span id="customer">{esc(customer)}</span> · {esc(credit_type)}</h1>'
            f'<p><span id="entry-count">{last_seq}</span> entries in this wallet.</p>{form}{note}'
            + (table(headers, shown, numeric=("seq", "amount", "value", "balance after"), row_class="entry")
               if rows else '<p class="notice">No entries.</p>')
            + f'<p class="paging">{"".join(paging)}</p>')
    return page(f"Ledger of {customer}", body, dict(customer=customer, credit_type=credit_type), "ledger")


def page_finance(conn, q, caps):
    functions, _ = caps
    if "credit_revenue" not in functions:
        return page("Finance", '<h1>Finance</h1><p class="notice" id="no-revenue">credit_revenue is not in'
                    " this database: the finance view needs credit_ledger 1.2.</p>", here="finance")
    q = dict(q)
    if not q.get("granularity"):
        q["granularity"] = "month"
    granularity = q["granularity"]
    if granularity not in GRANULARITIES:
        raise PageError("granularity is day, week or month")
    tz = q.get("tz") or "UTC"
    use_time_zone(conn, tz)
    if not q.get("from") and not q.get("to"):
        today = conn.execute("SELECT (credit_ledger.ledger_now() AT TIME ZONE %s)::date", (tz,)).fetchone()[0]
        q["to"] = today.isoformat()
        # The current month and the two before it.
        months = today.year * 12 + today.month - 1 - 2
        q["from"] = dt.date(months // 12, months % 12 + 1, 1).isoformat()
    start, end = date_range(conn, q)
    q.update({"from": start.isoformat(), "to": end.isoformat(), "tz": tz})
    credit_type = q.get("credit_type") or None
    types = [r[0] for r in conn.execute("SELECT credit_type FROM credit_ledger.credit_types ORDER BY 1")]
    type_field = ('<label>Credit type<select name="credit_type"><option value="">all</option>' + "".join(
        f'<option{" selected" if t == credit_type else ""} value="{esc(t)}">{esc(t)}</option>' for t in types)
                  + "</select></label>")
    q.pop("credit_type", None)
    rows = conn.execute(
        "SELECT period_start, credit_type, sold, recognized, breakage, voided, deferred_end,"
        "       promotional_used, promotional_expired FROM credit_revenue("
        " start_at => %(s)s::timestamp AT TIME ZONE %(tz)s, end_at => %(e)s::timestamp AT TIME ZONE %(tz)s,"
        " credit_type => %(ct)s, granularity => %(g)s, time_zone => %(tz)s)"
        " ORDER BY credit_type, period_start",
        {"s": start, "e": end + dt.timedelta(days=1), "tz": tz, "ct": credit_type, "g": granularity}).fetchall()
    headers = ["period", "credit type", "sold", "recognized", "breakage", "voided", "deferred at end",
               "promotional used", "promotional expired"]
    shown = [(esc(r[0].strftime("%Y-%m-%d")), esc(r[1])) + tuple(esc(money(v)) for v in r[2:]) for r in rows]
    totals = ""
    if rows:
        sums = [sum((r[i] or 0) for r in rows) for i in (2, 3, 4, 5)]
        totals = ("<h2>Totals</h2>" + table(
            ["sold", "recognized", "breakage", "voided"], [tuple(esc(money(v)) for v in sums)],
            numeric=("sold", "recognized", "breakage", "voided"), row_class="total"))
    body = ("<h1>Finance: revenue of credits</h1>"
            "<p>Money of paid credits per period: sold entered the ledger, recognized was used, breakage"
            " expired unused, deferred is still owed to customers at the period's end. Promotional credit"
            " is never revenue and is shown apart.</p>"
            f"{range_form('/finance', q, type_field)}"
            + (table(headers, shown, numeric=headers[2:], row_class="revenue") if rows else
               '<p class="notice">No rows.</p>') + totals)
    return page("Finance", body, here="finance")


PAGES = {"/": page_index, "/wallets": page_wallets, "/usage": page_usage, "/grants": page_grants,
         "/ledger": page_ledger, "/finance": page_finance}


class Handler(BaseHTTPRequestHandler):
    ledger = None  # set by main
    server_version = "credit-ledger-portal/1"

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        handler = PAGES.get(url.path)
        if handler is None:
            return self.send(HTTPStatus.NOT_FOUND, page("Not found", '<p class="error">No such page.</p>'))
        q = {k: v[-1] for k, v in urllib.parse.parse_qs(url.query).items()}
        try:
            with self.ledger.connect() as conn:
                if handler is page_index:
                    html_text = handler(conn, q)
                else:
                    html_text = handler(conn, q, Ledger.capabilities(conn))
                conn.rollback()
            self.send(HTTPStatus.OK, html_text)
        except PageError as e:
            self.send(HTTPStatus.BAD_REQUEST, page("Cannot show this", f'<p class="error" id="error">{esc(e)}</p>'))
        except psycopg.Error as e:
            self.log_error("database error: %s", e)
            if e.sqlstate and e.sqlstate.startswith("22"):  # the ledger refused an argument
                return self.send(HTTPStatus.BAD_REQUEST, page("Cannot show this", f'<p class="error" id="error">'
                                                                 f"{esc(e.diag.message_primary)}</p>"))
            hint = ""
            if e.sqlstate == "42501":
                hint = (" The portal's role lacks a right: run credit_ledger.grant_access(role, writer => false)"
                        " again after an upgrade.")
            self.send(HTTPStatus.INTERNAL_SERVER_ERROR,
                      page("Database error", f'<p class="error" id="error">The database refused: '
                                             f"{esc(e.sqlstate)} {esc(str(e).splitlines()[0] if str(e) else '')}."
                                             f"{esc(hint)}</p>"))

    def send(self, status, text):
        data = text.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, fmt_, *args):
        sys.stderr.write("portal: " + (fmt_ % args) + "\n")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dsn", default="", help="libpq connection string (empty: the PG* variables)")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8080, help="port to listen on (default 8080)")
    parser.add_argument("--time-zone", default="UTC", help="time zone of the times shown (default UTC)")
    args = parser.parse_args(argv)
    if not re.fullmatch(r"[A-Za-z0-9_/+-]+", args.time_zone):
        parser.error("--time-zone is a zone name such as UTC or Europe/Berlin")
    ledger = Ledger(args.dsn, args.time_zone)
    try:
        with ledger.connect() as conn:
            if Ledger.may_write(conn):
                print("portal: refusing to run as a role that can write the ledger (a superuser, or one"
                      " that may call its writing functions). Connect as a reader:\n"
                      "  CREATE ROLE credit_portal LOGIN;\n"
                      "  SELECT credit_ledger.grant_access('credit_portal', writer => false);",
                      file=sys.stderr)
                return 2
    except (psycopg.Error, RuntimeError) as e:
        print(f"portal: cannot use the database: {e}", file=sys.stderr)
        return 2
    Handler.ledger = ledger
    server = ThreadingHTTPServer((args.host, args.port), Handler)
    print(f"portal: serving on http://{args.host}:{server.server_address[1]}/", file=sys.stderr, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
