"""Tests for topup_loop.py against a real database: the whole automatic
top-up loop - a consume crosses the threshold, the ledger asks, the loop
charges the (fake) provider and confirms or cancels - and its redelivery.

The database comes from CREDIT_LEDGER_TEST_DSN (or libpq's PG* variables)
and must have the credit_ledger extension created; the tests empty the
outbox and use customers of their own (examples/run_tests.sh creates a
fresh database).

    CREDIT_LEDGER_TEST_DSN='dbname=topup_test' python3 -m pytest -v examples/topup
"""

from __future__ import annotations

import os
import sys
import uuid
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import topup_loop  # noqa: E402

DSN = os.environ.get("CREDIT_LEDGER_TEST_DSN", "")


@pytest.fixture()
def conn():
    with psycopg.connect(DSN, autocommit=True) as c:
        c.execute("SET client_min_messages = warning")
        c.execute("SELECT credit_type_create('topup_usd', 2) WHERE NOT EXISTS "
                  "(SELECT FROM credit_ledger.credit_types WHERE credit_type = 'topup_usd')")
        # Everything already in the outbox is some other test's.
        c.execute("SELECT credit_events_ack(coalesce(array_agg(event_id), '{}'))"
                  "  FROM credit_ledger.events WHERE processed_at IS NULL")
        yield c


def customer_with_topup(conn, balance="150", threshold="100", amount="500", **kw):
    customer = f"cust-{uuid.uuid4().hex[:8]}"
    conn.execute("SELECT credit_grant(%s, 'topup_usd', %s)", (customer, balance))
    conn.execute("SELECT credit_auto_topup_configure(%s, 'topup_usd', %s, %s, %s, %s)",
                 (customer, threshold, amount, kw.get("cost_basis", "0.01"),
                  kw.get("max_per_day", 3)))
    return customer


def balance(conn, customer):
    return conn.execute("SELECT credit_balance(%s, 'topup_usd')", (customer,)).fetchone()[0]


def consume(conn, customer, amount):
    return conn.execute("SELECT balance FROM credit_consume(%s, 'topup_usd', %s)",
                        (customer, amount)).fetchone()[0]


def topup_blocks(conn, customer):
    return conn.execute(
        "SELECT grant_id, amount, pending, canceled_at IS NOT NULL AS canceled"
        "  FROM credit_ledger.grants WHERE customer_id = %s AND kind = 'topup'"
        " ORDER BY grant_id", (customer,)).fetchall()


def claim_topups(conn):
    """Claims what the outbox holds; acknowledges all but the top-up
    requests, which it returns."""
    events = topup_loop.claim(conn, 100, "test", "30 seconds")
    for e in events:
        if e["event_type"] != topup_loop.TOPUP_EVENT:
            topup_loop.ack(conn, e)
    return [e for e in events if e["event_type"] == topup_loop.TOPUP_EVENT]


def test_paid_topup_enters_the_wallet(conn):
    c = customer_with_topup(conn)
    assert consume(conn, c, "60") == Decimal("90.00")   # below 100: the ledger asks
    [(grant_id, amount, pending, canceled)] = topup_blocks(conn, c)
    assert (amount, pending, canceled) == (Decimal("500.00"), True, False)
    assert balance(conn, c) == Decimal("90.00")         # pending credit is not spendable
    payments = topup_loop.FakePayments()
    counts = topup_loop.drain(conn, payments)
    assert counts["confirmed"] == 1 and counts["canceled"] == 0
    assert payments.calls == 1 and f"topup-{grant_id}" in payments.charges
    assert balance(conn, c) == Decimal("590.00")
    assert topup_blocks(conn, c) == [(grant_id, Decimal("500.00"), False, False)]
    granted = conn.execute(
        "SELECT count(*) FROM credit_ledger.events WHERE customer_id = %s"
        "   AND event_type = 'credits.granted' AND (payload ->> 'grant_id')::bigint = %s",
        (c, grant_id)).fetchone()[0]
    assert granted == 1
    # Every event was acknowledged; the next crossing asks again.
    assert topup_loop.drain(conn, payments)["confirmed"] == 0
    consume(conn, c, "500")
    assert len(topup_blocks(conn, c)) == 2


def test_declined_payment_cancels_and_the_next_crossing_asks_again(conn):
    c = customer_with_topup(conn)
    consume(conn, c, "60")
    payments = topup_loop.FakePayments(declined={c})
    counts = topup_loop.drain(conn, payments)
    assert counts["canceled"] == 1
    [(_, _, pending, canceled)] = topup_blocks(conn, c)
    assert canceled and balance(conn, c) == Decimal("90.00")
    consume(conn, c, "1")                                # below again: asks again
    assert len(topup_blocks(conn, c)) == 2
    payments.declined.clear()
    assert topup_loop.drain(conn, payments)["confirmed"] == 1
    assert balance(conn, c) == Decimal("589.00")


def test_one_request_while_pending(conn):
    c = customer_with_topup(conn)
    consume(conn, c, "60")                               # 90: asks
    for _ in range(4):
        consume(conn, c, "10")                           # still below: pending, asks nothing
    assert len(topup_blocks(conn, c)) == 1
    assert topup_loop.drain(conn, topup_loop.FakePayments())["confirmed"] == 1


def test_redelivered_request_credits_once(conn):
    """The program died after confirming but before the event was
    acknowledged (here: the event is handled twice). The provider's key and
    the confirm's key make the second delivery a no-op."""
    c = customer_with_topup(conn)
    consume(conn, c, "60")
    [event] = claim_topups(conn)
    assert event["event_type"] == topup_loop.TOPUP_EVENT
    assert set(event["payload"]) >= {"grant_id", "amount", "cost_basis", "balance"}
    assert event["payload"]["balance"] == "90.00" and event["payload"]["cost_basis"] == "0.01"
    payments = topup_loop.FakePayments()
    assert topup_loop.handle_topup(conn, event, payments) == "confirmed"
    assert topup_loop.handle_topup(conn, event, payments) == "confirmed"  # a replay
    assert len(payments.charges) == 1
    assert balance(conn, c) == Decimal("590.00")
    c2 = customer_with_topup(conn)
    declined = topup_loop.FakePayments(declined={c2})
    consume(conn, c2, "60")
    [event2] = claim_topups(conn)
    assert topup_loop.handle_topup(conn, event2, declined) == "canceled"
    assert topup_loop.handle_topup(conn, event2, declined) == "settled"  # LG006: done before


def test_max_per_day(conn):
    c = customer_with_topup(conn, balance="50", max_per_day=2)  # below from the start
    payments = topup_loop.FakePayments(declined={c})
    for _ in range(3):
        consume(conn, c, "1")
        topup_loop.drain(conn, payments)
    assert len(topup_blocks(conn, c)) == 2               # the third crossing of the day asks nothing


def test_other_events_are_passed_on(conn):
    c = customer_with_topup(conn)
    seen = []
    consume(conn, c, "60")
    counts = topup_loop.drain(conn, topup_loop.FakePayments(), on_other=seen.append)
    # the grant and the configure wrote none; the crossing consume wrote the
    # request; the confirm wrote credits.granted, handled in the next batch
    assert counts["confirmed"] == 1
    assert any(e["event_type"] == "credits.granted" for e in seen)
    left = conn.execute("SELECT count(*) FROM credit_ledger.events WHERE processed_at IS NULL").fetchone()[0]
    assert left == 0
