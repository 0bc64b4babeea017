#!/usr/bin/python3
"""The portal's browser test: headless Chromium loads every page of
examples/portal/portal.py against a database holding the known ledger of
demo_ledger.sql (a fixed clock), and the test checks what the browser shows:
the numbers of that ledger, the chart's bars (SVG rect elements, one per
feature and period with usage), the ledger's paging links (followed as the
browser found them), HTML escaping of a hostile customer id and feature, the
error pages, and that the portal cannot write. Screenshots of each page go to
build/portal/ (PORTAL_SCREENSHOTS to put them elsewhere).

Run by examples/portal/run_test.sh, which makes the database; it connects
with the PG* variables as a role that may CREATE DATABASE, CREATE ROLE and
CREATE EXTENSION. Prints "ok - ..." / "not ok - ..." lines and ends with
"N passed, N failed".
"""

import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import urllib.error
import urllib.request
from html.parser import HTMLParser
from pathlib import Path

import psycopg
import psycopg.conninfo
from psycopg import sql

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
SHOTS = Path(os.environ.get("PORTAL_SCREENSHOTS", ROOT / "build" / "portal"))
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
passed = failed = 0


def check(name, ok, detail=""):
    global passed, failed
    if ok:
        passed += 1
        print(f"ok - {name}", flush=True)
    else:
        failed += 1
        print(f"not ok - {name}" + (f": {detail}" if detail else ""), flush=True)


# --- a small DOM of what Chromium serialized -------------------------------

class Node:
    def __init__(self, tag, attrs, parent):
        self.tag, self.attrs, self.parent, self.children = tag, dict(attrs), parent, []

    def text(self):
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)

    def all(self, tag=None, cls=None, **attrs):
        found = []
        for c in self.children:
            if isinstance(c, Node):
                if ((tag is None or c.tag == tag)
                        and (cls is None or cls in (c.attrs.get("class") or "").split())
                        and all(c.attrs.get(k.replace("_", "-")) == v for k, v in attrs.items())):
                    found.append(c)
                found.extend(c.all(tag, cls, **attrs))
        return found

    def one(self, tag=None, cls=None, **attrs):
        found = self.all(tag, cls, **attrs)
        return found[0] if found else None


VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class DomBuilder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = self.at = Node("#document", {}, None)

    def handle_starttag(self, tag, attrs):
        node = Node(tag, attrs, self.at)
        self.at.children.append(node)
        if tag not in VOID:
            self.at = node

    def handle_startendtag(self, tag, attrs):
        self.at.children.append(Node(tag, attrs, self.at))

    def handle_endtag(self, tag):
        n = self.at
        while n is not None and n.tag != tag:
            n = n.parent
        if n is not None and n.parent is not None:
            self.at = n.parent

    def handle_data(self, data):
        self.at.children.append(data)


def dom_of(text):
    builder = DomBuilder()
    builder.feed(text)
    return builder.root


# --- the browser ------------------------------------------------------------

def chromium(*args, url):
    profile = tempfile.mkdtemp(prefix="portal-chromium-")
    try:
        run = subprocess.run(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
             "--disable-extensions", "--hide-scrollbars", f"--user-data-dir={profile}", *args, url],
            capture_output=True, text=True, timeout=120)
        return run
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def browse(base, path, shot=None, size="1100,800"):
    """The page's DOM as Chromium rendered it; with shot, a PNG of it too."""
    url = base + path
    run = chromium("--dump-dom", url=url)
    if run.returncode != 0 or "<html" not in run.stdout:
        raise RuntimeError(f"chromium --dump-dom {url} failed ({run.returncode}): {run.stderr[-500:]}")
    if shot:
        target = SHOTS / f"{shot}.png"
        target.unlink(missing_ok=True)
        chromium(f"--screenshot={target}", f"--window-size={size}", url=url)
        data = target.read_bytes() if target.exists() else b""
        check(f"screenshot {target.relative_to(ROOT) if target.is_relative_to(ROOT) else target}",
              data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 5000, f"{len(data)} bytes")
    return dom_of(run.stdout)


def cell_texts(dom, row_class):
    return [{td.attrs.get("data-col"): td.text().strip() for td in tr.all("td")}
            for tr in dom.all("tr", cls=row_class)]


def status_of(base, path):
    try:
        with urllib.request.urlopen(base + path, timeout=30) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


def start_portal(name, portal, dsn, servers):
    """Starts the portal on a free port (added to servers; its stderr kept in
    .log by a thread, so the pipe never fills); checks that it started and
    returns its base URL, or None."""
    server = subprocess.Popen(portal + ["--dsn", dsn, "--port", "0"], stderr=subprocess.PIPE, text=True)
    servers.append(server)
    server.log = [server.stderr.readline()]
    threading.Thread(target=lambda: server.log.extend(server.stderr), daemon=True).start()
    m = re.search(r"serving on (http://[0-9.]+:[0-9]+)/", server.log[0])
    check(name, m is not None, "".join(server.log))
    return m.group(1) if m else None


def wallet_fields(dom):
    """The wallets page's figures by name (balance, available, ...)."""
    return {v.attrs["data-field"]: v.text() for v in dom.all(cls="value")}


def load_known_ledger(db, version=None):
    """A database with the extension (at `version`, default the newest) and
    the known ledger; returns psql's stderr when loading failed."""
    with psycopg.connect(dbname=db, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION credit_ledger" + (" VERSION " + version if version else ""))
    run = subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-f", str(HERE / "demo_ledger.sql")],
                         env=dict(os.environ, PGDATABASE=db), capture_output=True, text=True)
    return run.stderr if run.returncode != 0 else None


# --- the test -----------------------------------------------------------------

class Setup:
    """The test's database, its reader role and what its extension has."""

    def __init__(self, suffix):
        self.suffix = suffix
        self.db, self.db_old = f"portal_test_{suffix}", f"portal_test_old_{suffix}"
        self.role, self.writer = f"portal_reader_{suffix}", f"portal_writer_{suffix}"
        # The reader logs in with a password of its own (pg_virtualenv's
        # clusters ask for one over TCP; PGPASSWORD is the superuser's).
        self.password = secrets.token_hex(16)
        self.portal = [sys.executable, str(HERE / "portal.py")]

    def dsn(self, db, user):
        return psycopg.conninfo.make_conninfo(dbname=db, user=user, password=self.password)

    def create_reader(self):
        """The reader role, and what the known ledger's extension has."""
        with psycopg.connect(dbname=self.db, autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(
                sql.Identifier(self.role), sql.Literal(self.password)))
            conn.execute("SELECT credit_ledger.grant_access(%s, writer => false)", (self.role,))
            self.summary_columns = {r[0] for r in conn.execute(
                "SELECT attname FROM pg_attribute WHERE attrelid = 'credit_ledger.wallet_summary'::regclass"
                " AND attnum > 0 AND NOT attisdropped")}

            def has(function):
                return conn.execute("SELECT count(*) > 0 FROM pg_proc WHERE proname = %s",
                                    (function,)).fetchone()[0]
            self.has_revenue = has("credit_revenue")
            self.has_statement = has("credit_statement")
            self.has_report = has("credit_usage_report")


def check_cannot_write(t):
    """The portal refuses a role that can write, its sessions are read-only,
    and the reader role cannot write."""
    # The portal refuses a role that can write (here: the superuser).
    run = subprocess.run(t.portal + ["--dsn", f"dbname={t.db}", "--port", "0"],
                         capture_output=True, text=True, timeout=60)
    check("the portal refuses to run as a role that can write",
          run.returncode == 2 and "refusing" in run.stderr, run.stderr[-300:])

    # ... and a role grant_access made a writer.
    with psycopg.connect(dbname=t.db, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(
            sql.Identifier(t.writer), sql.Literal(t.password)))
        conn.execute("SELECT credit_ledger.grant_access(%s, writer => true)", (t.writer,))
    run = subprocess.run(t.portal + ["--dsn", t.dsn(t.db, t.writer), "--port", "0"],
                         capture_output=True, text=True, timeout=60)
    check("the portal refuses a writer role (grant_access(role, writer => true))",
          run.returncode == 2 and "refusing" in run.stderr, run.stderr[-300:])

    # Its sessions are read-only even where the role could write.
    sys.path.insert(0, str(HERE))
    import portal as portal_module
    with portal_module.Ledger(f"dbname={t.db}", "UTC").connect() as conn:
        try:
            conn.execute("CREATE TEMP TABLE portal_write_probe (x int)")
            check("the portal's sessions are read-only", False, "a write succeeded")
        except psycopg.errors.ReadOnlySqlTransaction:
            check("the portal's sessions are read-only", True)
    with psycopg.connect(t.dsn(t.db, t.role)) as conn:
        try:
            conn.execute("SELECT credit_consume('acme', 'usd', 1)")
            check("the reader role cannot write", False, "credit_consume ran")
        except psycopg.errors.InsufficientPrivilege:
            check("the reader role cannot write", True)


def check_customers(base):
    """The customers, as text, each linking to its wallets."""
    dom = browse(base, "/")
    names = {a.text(): a.attrs["href"] for a in dom.one("main").all("a")}
    check("customers: acme and o'brien <b>&co</b> listed, as text",
          set(names) == {"acme", "o'brien <b>&co</b>"}, str(names))
    dom = browse(base, names.get("o'brien <b>&co</b>", "/"))
    check("customers: the link leads to that customer's wallets",
          wallet_fields(dom).get("balance") == "70.00")
    dom = browse(base, "/?q=BRIEN")
    check("customers: the search finds o'brien", [a.text() for a in dom.one("main").all("a")]
          == ["o'brien <b>&co</b>"])


def check_wallets(base, t):
    """Wallets: the known balances; held/pending exactly when wallet_summary has them."""
    dom = browse(base, "/wallets?customer=acme", shot="wallets", size="1100,720")
    fields = wallet_fields(dom)
    # 1.2: the scheduled 50.00 has no grant entry until it starts, so the
    # ledger balance is what is available (1.1 counted it: 875.00).
    check("wallets: balance 825.00, available 825.00, scheduled 50.00, debt 0.00",
          (fields.get("balance"), fields.get("available"), fields.get("scheduled"), fields.get("debt"))
          == ("825.00", "825.00", "50.00", "0.00"), str(fields))
    statement = {r["line"]: r["credits"] for r in cell_texts(dom, "statement")}
    if t.has_statement:
        check("wallets: March's statement: 0.00 + 1,220.00 granted - 380.00 used + 5.00 reversed"
              " - 20.00 expired = 825.00",
              {k: statement.get(k) for k in ("opening balance", "granted", "used", "reversed", "expired",
                                             "closing balance")}
              == {"opening balance": "0.00", "granted": "1,220.00", "used": "-380.00", "reversed": "5.00",
                  "expired": "-20.00", "closing balance": "825.00"}, str(statement))
    else:
        check("wallets: says statements need credit_ledger 1.2", dom.one(id="no-statement") is not None)
    shown = {k for k in ("held", "pending") if k in fields}
    check("wallets: held and pending shown exactly when wallet_summary has them",
          shown == {"held", "pending"} & t.summary_columns, f"shown {shown}, columns {t.summary_columns}")
    if not shown:
        check("wallets: says where held and pending are", dom.one(id="no-held") is not None)


def check_usage_by_day(dom, svg, rects, t):
    """The daily chart's bars, legend, total and per-feature table."""
    by = {(r.attrs["data-period"], r.attrs["data-feature"]): r.attrs["data-credits"] for r in rects}
    check("usage by day: llm_tokens 10.00 on 03-02, 35.00 on 03-05 (net of a reversal),"
          " support_ping 30.00 on 03-12",
          (by.get(("2026-03-02", "llm_tokens")), by.get(("2026-03-05", "llm_tokens")),
           by.get(("2026-03-12", "support_ping"))) == ("10.00", "35.00", "30.00"), str(by))
    legend = [g.text() for g in svg.all("g", cls="legend-item")] if svg else []
    check("usage: a legend of the four features",
          legend == ["api_calls", "image_gen", "llm_tokens", "support_ping"], str(legend))
    total = dom.one(id="usage-total")
    check("usage: 375.00 credits in the range", total is not None and total.text() == "375.00")
    per = {r["feature"]: r["credits"] for r in cell_texts(dom, "row")}
    check("usage: per feature 10.00, 60.00, 275.00, 30.00",
          per == {"api_calls": "10.00", "image_gen": "60.00", "llm_tokens": "275.00",
                  "support_ping": "30.00"}, str(per))
    if t.has_report:
        events = {r["feature"]: r["events"] for r in cell_texts(dom, "row")}
        check("usage: events per feature 2, 4, 7, 30 (a reversal counts none)",
              events == {"api_calls": "2", "image_gen": "4", "llm_tokens": "7",
                         "support_ping": "30"}, str(events))
    check("usage: says which report made the chart",
          (dom.one(id="fallback") is None) == bool(t.has_report))


def check_usage(base, t):
    """Usage: stacked bars per day, week, month over 2026-03-01 .. 2026-03-14,
    and periods in the time zone chosen."""
    for granularity, bars, size in (("day", 14, "1100,760"), ("week", 4, None), ("month", 4, None)):
        dom = browse(base, f"/usage?customer=acme&from=2026-03-01&to=2026-03-14&granularity={granularity}",
                     shot="usage" if granularity == "day" else None, size=size or "1100,800")
        svg = dom.one("svg", id="usage-chart")
        rects = svg.all("rect", cls="bar") if svg else []
        check(f"usage by {granularity}: {bars} bars in the SVG chart", len(rects) == bars,
              f"{len(rects)} bars")
        if granularity == "day":
            check_usage_by_day(dom, svg, rects, t)

    # Periods are local days of the time zone chosen: at UTC+14 the usage
    # of 2026-03-02 10:00 UTC falls on 2026-03-03.
    dom = browse(base, "/usage?customer=acme&from=2026-03-01&to=2026-03-14&tz=Pacific/Kiritimati")
    by = {(r.attrs["data-period"], r.attrs["data-feature"]): r.attrs["data-credits"]
          for r in dom.all("rect", cls="bar")}
    check("usage in Pacific/Kiritimati: llm_tokens 10.00 on 03-03, 70.00 on 03-09",
          (by.get(("2026-03-03", "llm_tokens")), by.get(("2026-03-09", "llm_tokens")),
           by.get(("2026-03-02", "llm_tokens"))) == ("10.00", "70.00", None), str(by))


def check_grants(base):
    """Grants: statuses and days left at the database's clock (2026-03-20 12:00 UTC)."""
    dom = browse(base, "/grants?customer=acme", shot="grants", size="1440,300")
    grants = {r["grant"]: (r["status"], r["remaining"], r["days left"]) for r in cell_texts(dom, "grant")}
    check("grants: scheduled 50.00 (103 days), active 825.00 (73 days), depleted, expired",
          grants == {"3": ("scheduled", "50.00", "103"), "1": ("active", "825.00", "73"),
                     "2": ("depleted", "0.00", ""), "4": ("expired", "0.00", "")}, str(grants))


def check_ledger_paging(base):
    """Ledger: 48 entries (the scheduled block has none yet), ten a page; the
    browser follows the links it was given."""
    dom = browse(base, "/ledger?customer=acme&size=10", shot="ledger", size="1300,700")
    seqs = [r["seq"] for r in cell_texts(dom, "entry")]
    count = dom.one(id="entry-count")
    check("ledger: 48 entries, page 1 shows seq 48 .. 39",
          count is not None and count.text() == "48" and seqs == [str(s) for s in range(48, 38, -1)],
          f"{count.text() if count is not None else None} {seqs}")
    check("ledger: page 1 has no newer link", dom.one("a", id="newer") is None)
    older = dom.one("a", id="older")
    check("ledger: page 1 links to older entries", older is not None)
    if older is None:
        return
    page2 = browse(base, older.attrs["href"])
    seqs2 = [r["seq"] for r in cell_texts(page2, "entry")]
    check("ledger: page 2 shows the next entries, seq 38 .. 29",
          seqs2 == [str(s) for s in range(38, 28, -1)], str(seqs2))
    newer = page2.one("a", id="newer")
    back = browse(base, newer.attrs["href"]) if newer is not None else None
    check("ledger: page 2's newer link leads back to page 1",
          back is not None and [r["seq"] for r in cell_texts(back, "entry")] == seqs)
    last = page2
    for _ in range(5):
        link = last.one("a", id="older")
        if link is None:
            break
        last = browse(base, link.attrs["href"])
    tail = [r["seq"] for r in cell_texts(last, "entry")]
    check("ledger: the last page ends at seq 1 and has no older link",
          tail[-1:] == ["1"] and last.one("a", id="older") is None, str(tail))


def check_ledger_filters(base):
    """Filters (credit_entries' entry_types, since, until), kept by the paging links."""
    dom = browse(base, "/ledger?customer=acme&type=expiration")
    rows = cell_texts(dom, "entry")
    check("ledger filtered to expirations: the one lapsed pass, -20.00",
          [(r["type"], r["amount"]) for r in rows] == [("expiration", "-20.00")], str(rows))
    dom = browse(base, "/ledger?customer=acme&since=2026-03-12&until=2026-03-12&size=10")
    rows = [r["seq"] for r in cell_texts(dom, "entry")]
    older = dom.one("a", id="older")
    page2 = browse(base, older.attrs["href"]) if older is not None else None
    rows2 = [r["seq"] for r in cell_texts(page2, "entry")] if page2 is not None else []
    check("ledger filtered to 2026-03-12: pages of the 30 pings (48 .. 39, then 38 .. 29)",
          rows == [str(x) for x in range(48, 38, -1)] and rows2 == [str(x) for x in range(38, 28, -1)],
          f"{rows} {rows2}")


def check_finance(base, t):
    """Finance: credit_revenue, or a clear message where this database has none."""
    dom = browse(base, "/finance?from=2026-03-01&to=2026-03-31", shot="finance", size="1300,520")
    if not t.has_revenue:
        check("finance: says credit_revenue needs credit_ledger 1.2", dom.one(id="no-revenue") is not None)
        return
    rows = cell_texts(dom, "revenue")
    check("finance: one row for March 2026", len(rows) == 1, str(rows))
    if rows:
        r = rows[0]
        check("finance: March sold 560.00, recognized 102.50, breakage 10.00, voided 0.00,"
              " deferred 447.50, promotional used 100.00",
              (r["sold"], r["recognized"], r["breakage"], r["voided"], r["deferred at end"],
               r["promotional used"]) == ("560.00", "102.50", "10.00", "0.00", "447.50", "100.00"), str(r))


def check_escaping(base):
    """A hostile customer id and feature name are text, never markup."""
    hostile = "o'brien <b>&co</b>"
    from urllib.parse import quote
    dom = browse(base, f"/usage?customer={quote(hostile)}&from=2026-03-01&to=2026-03-14")
    main_el = dom.one("main")
    name = dom.one(id="customer")
    check("escaping: the customer id shows as text", name is not None and name.text() == hostile)
    check("escaping: no element comes from the customer id or the feature",
          main_el is not None and not main_el.all("b") and not dom.all("img"))
    legend = [g.text() for g in dom.all("g", cls="legend-item")]
    check("escaping: the feature name shows as text in the legend",
          legend == ["<img src=x onerror=alert(1)>"], str(legend))


def check_bad_input(base):
    """Bad input: a message, not a crash."""
    dom = browse(base, "/usage?customer=acme&granularity=year")
    err = dom.one(id="error")
    check("bad input: an unknown granularity gets a message",
          err is not None and "day, week or month" in err.text()
          and status_of(base, "/usage?customer=acme&granularity=year") == 400)
    dom = browse(base, "/wallets?customer=nobody")
    err = dom.one(id="error")
    check("bad input: an unknown customer gets a message", err is not None and "no wallet" in err.text())
    check("bad input: a range ending before it starts gets 400",
          status_of(base, "/usage?customer=acme&from=2026-03-10&to=2026-03-01") == 400)
    check("bad input: an unknown time zone gets 400",
          status_of(base, "/usage?customer=acme&tz=Mars%2FOlympus") == 400)
    check("bad input: too many bars gets 400",
          status_of(base, "/usage?customer=acme&from=2020-01-01&to=2026-03-14&granularity=day") == 400)
    check("bad input: a non-numeric page key gets 400",
          status_of(base, "/ledger?customer=acme&before=1%3BDROP") == 400)


def check_release_11(admin, t, servers):
    """On a database of release 1.1 (no reports, no filters, no held or
    pending) every page still answers, and says what it lacks. Returns 1 when
    the portal did not start, else 0."""
    admin.execute(f'CREATE DATABASE "{t.db_old}"')
    failure = load_known_ledger(t.db_old, "'1.1'")
    check("the known ledger loads into a 1.1 database", failure is None, (failure or "")[-2000:])
    with psycopg.connect(dbname=t.db_old, autocommit=True) as conn:
        conn.execute("SELECT credit_ledger.grant_access(%s, writer => false)", (t.role,))
    old_base = start_portal("1.1: the portal starts", t.portal, t.dsn(t.db_old, t.role), servers)
    if old_base is None:
        return 1
    dom = browse(old_base, "/wallets?customer=acme", shot="wallets-1.1", size="1100,520")
    fields = wallet_fields(dom)
    check("1.1 wallets: the balance, and notices for held/pending and the statement",
          fields.get("balance") == "875.00" and dom.one(id="no-held") is not None
          and dom.one(id="no-statement") is not None, str(fields))
    dom = browse(old_base, "/usage?customer=acme&from=2026-03-01&to=2026-03-14")
    check("1.1 usage: the chart from credit_usage, 14 bars, and a notice saying so",
          dom.one(id="fallback") is not None and len(dom.all("rect", cls="bar")) == 14)
    dom = browse(old_base, "/finance", shot="finance-1.1", size="1100,300")
    check("1.1 finance: a notice that credit_revenue needs 1.2", dom.one(id="no-revenue") is not None)
    dom = browse(old_base, "/ledger?customer=acme&type=expiration&size=10")
    check("1.1 ledger: a notice that filters need 1.2, and the unfiltered first page",
          dom.one(id="no-filters") is not None
          and [r["seq"] for r in cell_texts(dom, "entry")] == [str(x) for x in range(49, 39, -1)])
    return 0


def main():
    if CHROMIUM is None:
        print("SKIPPED: the portal's browser test needs chromium (apt-get install chromium)")
        return 77
    SHOTS.mkdir(parents=True, exist_ok=True)
    admin = psycopg.connect(autocommit=True)
    t = Setup(f"{os.getpid()}")
    admin.execute(f'CREATE DATABASE "{t.db}"')
    servers = []
    try:
        failure = load_known_ledger(t.db)
        if failure:
            check("the known ledger loads", False, failure[-2000:])
            return 1
        t.create_reader()
        check_cannot_write(t)
        base = start_portal("the portal starts as the reader role", t.portal, t.dsn(t.db, t.role), servers)
        if base is None:
            return 1
        check_customers(base)
        check_wallets(base, t)
        check_usage(base, t)
        check_grants(base)
        check_ledger_paging(base)
        check_ledger_filters(base)
        check_finance(base, t)
        check_escaping(base)
        check_bad_input(base)
        return check_release_11(admin, t, servers)
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=30)
        admin.execute(f'DROP DATABASE IF EXISTS "{t.db}" WITH (FORCE)')
        admin.execute(f'DROP DATABASE IF EXISTS "{t.db_old}" WITH (FORCE)')
        admin.execute(f'DROP ROLE IF EXISTS "{t.role}"')
        admin.execute(f'DROP ROLE IF EXISTS "{t.writer}"')
        admin.close()


if __name__ == "__main__":
    try:
        rc = main()
    except Exception as e:  # anything unexpected is one more failure, shown
        import traceback
        traceback.print_exc()
        check("the test ran to its end", False, repr(e))
        rc = 1
    if rc == 77:
        sys.exit(77)
    print(f"{passed} passed, {failed} failed")
    sys.exit(0 if failed == 0 and rc == 0 else 1)
