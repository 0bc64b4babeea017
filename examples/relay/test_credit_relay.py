"""Tests for credit_relay.py against a real database and a real HTTP receiver.

Each test runs the relay as a separate process (as it runs in production) and
points it at a small HTTP server on 127.0.0.1 that records every request.
The database comes from CREDIT_LEDGER_TEST_DSN (or libpq's PG* variables) and
must have the credit_ledger extension created; the tests empty the outbox
before each test, so use a database of their own (examples/run_tests.sh
creates a fresh one).

    CREDIT_LEDGER_TEST_DSN='dbname=relay_test' python3 -m pytest -v examples/relay
"""

from __future__ import annotations

import collections
import hashlib
import hmac
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import psycopg
import pytest

DSN = os.environ.get("CREDIT_LEDGER_TEST_DSN", "")
RELAY = Path(__file__).resolve().with_name("credit_relay.py")


def wait_until(condition, timeout=10.0, interval=0.05, what="condition"):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if condition():
            return
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


# --------------------------------------------------------------------------
# A webhook receiver that records what it gets


class Receiver:
    """An HTTP server on 127.0.0.1 that records each request and answers
    `fail_status` to the first `fail_first` requests, 200 afterwards; events
    passed to reject() get their own answer until accept()ed."""

    def __init__(self, fail_first=0, fail_status=500, delay=0.0):
        self.fail_first = fail_first
        self.fail_status = fail_status
        self.delay = delay
        self.requests = []
        self.rejected = {}  # event_id -> (status, answer body)
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                body = json.loads(raw)
                with receiver.lock:
                    failing = len(receiver.requests) < receiver.fail_first
                    status, answer = (receiver.fail_status, b"failing") if failing else (200, b"ok")
                    status, answer = receiver.rejected.get(body["event_id"], (status, answer))
                    receiver.requests.append({
                        "time": time.monotonic(), "status": status,
                        "event_id": body["event_id"], "body": body, "raw": raw,
                        "headers": {k.lower(): v for k, v in self.headers.items()},
                    })
                if receiver.delay:
                    time.sleep(receiver.delay)
                self.send_response(status)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/credits"

    def reject(self, event_id, status, answer=b"rejected"):
        with self.lock:
            self.rejected[event_id] = (status, answer)

    def accept(self, event_id):
        with self.lock:
            self.rejected.pop(event_id, None)

    def snapshot(self):
        with self.lock:
            return list(self.requests)

    def of(self, event_id):
        """The requests for one event, in arrival order."""
        return [r for r in self.snapshot() if r["event_id"] == event_id]

    def delivered(self):
        """Event ids answered with 200, in arrival order."""
        return [r["event_id"] for r in self.snapshot() if r["status"] == 200]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


# --------------------------------------------------------------------------
# The relay as a process


class RelayProcess:
    DEFAULTS = {
        "--poll-interval": "0.3", "--retry-delay": "0.3", "--lease": "5", "--timeout": "2",
        "--backoff-initial": "0.05", "--backoff-max": "2", "--jitter": "0",
        "--max-runtime": "60", "--batch-size": "10",
    }

    def __init__(self, url, consumer, log_path, **options):
        self.consumer = consumer
        self.log_path = log_path
        args = [sys.executable, str(RELAY), "--dsn", DSN, "--webhook-url", url,
                "--consumer", consumer]
        merged = dict(self.DEFAULTS)
        for key, value in options.items():
            merged["--" + key.replace("_", "-")] = value
        for key, value in merged.items():
            if value is True:
                args.append(key)
            elif isinstance(value, list):
                for v in value:
                    args += [key, str(v)]
            else:
                args += [key, str(value)]
        env = dict(os.environ, NO_PROXY="127.0.0.1,localhost", no_proxy="127.0.0.1,localhost")
        self.log_file = open(log_path, "wb")
        self.proc = subprocess.Popen(args, stdout=self.log_file, stderr=subprocess.STDOUT, env=env)

    def log(self):
        return Path(self.log_path).read_text(errors="replace")

    def connected(self, times=1):
        return self.log().count("listening on credit_ledger_events") >= times

    def stop(self, sig=signal.SIGTERM, timeout=10.0):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
            self.log_file.close()


@pytest.fixture
def db():
    """An autocommit connection; the outbox is emptied first so each test
    sees only its own events."""
    conn = psycopg.connect(DSN, autocommit=True)
    conn.execute("SELECT credit_events_ack(coalesce(array_agg(event_id), '{}'))"
                 " FROM credit_ledger.events")
    conn.execute("SELECT credit_events_prune('0')")
    if conn.execute("SELECT 1 FROM credit_ledger.credit_types"
                    " WHERE credit_type = 'usd'").fetchone() is None:
        conn.execute("SELECT credit_type_create('usd', 2)")
    yield conn
    conn.close()


@pytest.fixture
def receivers():
    made = []

    def make(**kwargs):
        made.append(Receiver(**kwargs))
        return made[-1]

    yield make
    for r in made:
        r.close()


@pytest.fixture
def relays(tmp_path):
    started = []

    def start(url, consumer=None, **options):
        consumer = consumer or f"relay-{len(started) + 1}"
        started.append(RelayProcess(url, consumer, tmp_path / f"{consumer}.log", **options))
        return started[-1]

    yield start
    for r in started:
        if r.proc.poll() is None:
            r.stop(signal.SIGKILL)
        # Shown by pytest when the test failed.
        print(f"---- log of {r.consumer}\n{r.log()}")


def customer():
    return "cust-" + uuid.uuid4().hex[:10]


def grant(conn, customer_id, n=1):
    """n credits.granted events in one transaction; returns their ids."""
    conn.execute("SELECT credit_grant(%s, 'usd', 1) FROM generate_series(1, %s)",
                 (customer_id, n))
    return outbox_ids(conn, customer_id)


def outbox_ids(conn, customer_id=None):
    rows = conn.execute("SELECT event_id FROM credit_ledger.events"
                        " WHERE %s::text IS NULL OR customer_id = %s ORDER BY event_id",
                        (customer_id, customer_id)).fetchall()
    return [r[0] for r in rows]


def pending(conn):
    return conn.execute("SELECT count(*) FROM credit_ledger.events"
                        " WHERE processed_at IS NULL").fetchone()[0]


def claim_as_another_relay(conn, lease="1 minute"):
    """The ids another relay gets if it claims now."""
    rows = conn.execute("SELECT event_id FROM credit_events_claim(100, 'relay-other', %s)",
                        (lease,)).fetchall()
    return [r[0] for r in rows]


def claimable(conn):
    """The ids a claim would hand out now (without claiming them)."""
    rows = conn.execute("SELECT event_id FROM credit_ledger.events"
                        " WHERE processed_at IS NULL AND failed_at IS NULL"
                        "   AND (claimed_until IS NULL OR claimed_until < clock_timestamp())"
                        " ORDER BY event_id").fetchall()
    return [r[0] for r in rows]


def gaps(requests):
    return [b["time"] - a["time"] for a, b in zip(requests, requests[1:])]


# --------------------------------------------------------------------------
# Scenarios


def test_every_event_delivered_and_acked_exactly_once(db, receivers, relays):
    rx = receivers()
    c = customer()
    db.execute("SELECT credit_wallet_configure(%s, 'usd', low_balance_thresholds => '{5}')", (c,))
    early = grant(db, c, 5)  # waiting before the relay starts: found by its first claim
    relay = relays(rx.url, batch_size=4, poll_interval=30, poll_min=30, secret="s3cret",
                   header=["Authorization: Bearer t0k3n"])
    wait_until(lambda: sorted(rx.delivered()) == early, what="the events written earlier")

    # The relay now waits 30 s between claims: what follows can only arrive
    # this fast because the writer turned NOTIFY on.
    db.execute("SET credit_ledger.notify = on")
    t0 = time.monotonic()
    db.execute("SELECT credit_grant(%s, 'usd', 10, cost_basis => 0.25, reason => 'topup')", (c,))
    db.execute("SELECT credit_consume(%s, 'usd', 14.5)", (c,))   # usage_low
    db.execute("SELECT credit_consume(%s, 'usd', 0.5)", (c,))    # depleted x2
    ids = outbox_ids(db)
    # 5 + 1 granted; the consumes use up all six grants (6 grant.depleted),
    # cross the threshold (usage_low) and empty the wallet (depleted).
    assert len(ids) == 5 + 1 + 6 + 1 + 1
    wait_until(lambda: sorted(rx.delivered()) == ids, timeout=5, what="notified events")
    assert time.monotonic() - t0 < 5
    wait_until(lambda: pending(db) == 0, timeout=5, what="acknowledgements")
    assert relay.stop() == 0
    assert "stopped (SIGTERM)" in relay.log()

    requests = rx.snapshot()
    assert collections.Counter(r["event_id"] for r in requests) == {i: 1 for i in ids}
    rows = db.execute("SELECT event_id, event_type, customer_id, credit_type, payload,"
                      " attempts, processed_at, claimed_by FROM credit_ledger.events"
                      " ORDER BY event_id").fetchall()
    assert all(r[5] == 1 and r[6] is not None and r[7] == "relay-1" for r in rows)
    assert {r[1] for r in rows} == {"credits.granted", "credits.balance.usage_low",
                                    "credits.balance.depleted", "credits.grant.depleted"}
    by_id = {r["event_id"]: r for r in requests}
    for event_id, event_type, customer_id, credit_type, payload, *_ in rows:
        req = by_id[event_id]
        assert set(req["body"]) == {"event_id", "event_type", "created_at",
                                    "customer_id", "credit_type", "data"}
        assert req["body"]["event_type"] == event_type
        assert req["body"]["customer_id"] == customer_id
        assert req["body"]["credit_type"] == credit_type
        assert req["body"]["data"] == payload
        assert req["body"]["created_at"].endswith("Z")
        h = req["headers"]
        assert h["content-type"] == "application/json"
        assert h["idempotency-key"] == h["x-credit-ledger-event"] == str(event_id)
        assert h["x-credit-ledger-event-type"] == event_type
        assert h["authorization"] == "Bearer t0k3n"
        t, v1 = (part.split("=", 1)[1] for part in h["x-credit-ledger-signature"].split(","))
        expected = hmac.new(b"s3cret", t.encode() + b"." + req["raw"], hashlib.sha256)
        assert v1 == expected.hexdigest()
    # Amounts travel as exact decimal strings.
    usage_low = next(r for r in requests if r["body"]["event_type"] == "credits.balance.usage_low")
    assert usage_low["body"]["data"]["balance"] == "0.50"
    assert usage_low["body"]["data"]["threshold"] == "5.00"


def test_without_notify_the_relay_polls_adaptively(db, receivers, relays):
    # The default: writers send no NOTIFY, so the relay finds events by
    # polling. Idle, it waits twice as long after each claim that found
    # nothing, up to --poll-interval; after a batch it starts short again,
    # and after a full batch it claims again at once.
    rx = receivers()
    relay = relays(rx.url, batch_size=10, poll_interval=0.25, poll_min=0.005,
                   log_level="DEBUG")
    wait_until(relay.connected, what="the relay to connect")
    time.sleep(2.0)
    waits = re.findall(r"nothing to claim; next claim in at most ([0-9.]+)s", relay.log())
    # 0.005, 0.01, ... 0.16, then 0.25 s: about a dozen claims in 2 s, not 400.
    assert waits[:7] == ["0.005", "0.010", "0.020", "0.040", "0.080", "0.160", "0.250"], waits
    assert set(waits[7:]) == {"0.250"} and 8 <= len(waits) < 20, waits

    # A lone event is found within --poll-interval (plus a claim and a POST).
    latencies = []
    for _ in range(4):
        time.sleep(0.5)  # idle again: the wait has grown back to 0.25 s
        t0 = time.monotonic()
        [event_id] = grant(db, customer(), 1)
        wait_until(lambda: event_id in rx.delivered(), timeout=5, interval=0.002,
                   what="a lone event found by polling")
        latencies.append(time.monotonic() - t0)
    assert max(latencies) < 1.0, latencies

    # A burst is claimed in full batches back to back, without waiting.
    mark = len(relay.log())
    ids = grant(db, customer(), 35)
    wait_until(lambda: set(ids) <= set(rx.delivered()), timeout=5, what="the burst")
    wait_until(lambda: pending(db) == 0, what="acknowledgements")
    assert relay.stop() == 0
    steps = re.findall(r"(claimed \d+ event\(s\)|nothing to claim)", relay.log()[mark:])
    while steps and steps[0] == "nothing to claim":  # idle polls before the commit
        steps.pop(0)
    assert steps[:4] == ["claimed 10 event(s)"] * 3 + ["claimed 5 event(s)"], steps
    assert collections.Counter(rx.delivered()) == \
        {i: 1 for i in [r["event_id"] for r in rx.snapshot()]}


def test_events_of_a_prepared_transaction_are_delivered_once_committed(db, receivers, relays):
    # With NOTIFY off (the default) a transaction that writes events can
    # PREPARE; its events appear, and are delivered, at COMMIT PREPARED.
    if db.execute("SHOW max_prepared_transactions").fetchone()[0] == "0":
        pytest.skip("the server has max_prepared_transactions = 0")
    rx = receivers()
    relay = relays(rx.url, poll_interval=0.1)
    wait_until(relay.connected, what="the relay to connect")
    c = customer()
    conn = psycopg.connect(DSN)
    try:
        conn.tpc_begin(conn.xid(1, "credit-relay-" + c, "test"))
        conn.execute("SELECT credit_grant(%s, 'usd', 5)", (c,))
        conn.execute("SELECT credit_consume(%s, 'usd', 5)", (c,))  # depleted x2
        conn.tpc_prepare()
        time.sleep(0.5)
        assert rx.snapshot() == [] and outbox_ids(db, c) == []
        conn.tpc_commit()
    finally:
        conn.close()
    ids = outbox_ids(db, c)
    assert len(ids) == 3
    wait_until(lambda: sorted(rx.delivered()) == ids, what="the committed events")
    assert relay.stop() == 0


def test_failed_deliveries_are_retried_with_backoff(db, receivers, relays):
    rx = receivers(fail_first=3)
    ids = grant(db, customer(), 3)
    relay = relays(rx.url, max_attempts=5, backoff_initial=0.2, jitter=0)
    wait_until(lambda: sorted(rx.delivered()) == ids, what="delivery after the failures")
    wait_until(lambda: pending(db) == 0, what="acknowledgements")
    assert relay.stop() == 0

    requests = rx.snapshot()
    first = [r for r in requests if r["event_id"] == ids[0]]
    assert [r["status"] for r in first] == [500, 500, 500, 200]
    assert [r["headers"]["x-credit-ledger-attempt"] for r in first] == ["1", "2", "3", "4"]
    gaps = [b["time"] - a["time"] for a, b in zip(first, first[1:])]
    for gap, expected in zip(gaps, [0.2, 0.4, 0.8]):  # exponential: 0.2 doubling
        assert expected * 0.9 <= gap <= expected + 1.0, gaps
    assert collections.Counter(rx.delivered()) == {i: 1 for i in ids}
    assert len(requests) == 3 + 3
    # All within one hand-out: no lease ran out.
    attempts = db.execute("SELECT array_agg(attempts) FROM credit_ledger.events").fetchone()[0]
    assert attempts == [1, 1, 1]
    assert relay.log().count("retrying in") == 3


def test_failed_events_are_handed_back_after_a_pause_not_the_lease(db, receivers, relays):
    rx = receivers(fail_first=4, fail_status=503)
    ids = grant(db, customer(), 3)
    relay = relays(rx.url, max_attempts=2, lease=5, timeout=0.5, retry_delay=0.5)
    wait_until(lambda: sorted(rx.delivered()) == ids, what="redelivery after the pause")
    wait_until(lambda: pending(db) == 0, what="acknowledgements")
    assert relay.stop() == 0

    requests = rx.snapshot()
    # First hand-out: event 1 tried twice, then (endpoint down) one try each
    # for events 2 and 3; nothing acknowledged. After the pause the relay
    # hands them back and claims them again: all three delivered.
    assert [(r["event_id"], r["status"]) for r in requests] == [
        (ids[0], 503), (ids[0], 503), (ids[1], 503), (ids[2], 503),
        (ids[0], 200), (ids[1], 200), (ids[2], 200)]
    assert [r["headers"]["x-credit-ledger-handout"] for r in requests] == \
        ["1", "1", "1", "1", "2", "2", "2"]
    # Not before the pause (--retry-delay), and long before the 5 s lease.
    assert requests[4]["time"] - requests[3]["time"] >= 0.45
    assert requests[4]["time"] - requests[0]["time"] < 4.0
    assert re.search(r"handed back 3 event\(s\) \(failed earlier, delay over\): "
                     + ", ".join(map(str, ids)), relay.log())
    attempts = db.execute("SELECT array_agg(attempts ORDER BY event_id)"
                          " FROM credit_ledger.events").fetchone()[0]
    assert attempts == [2, 2, 2]


def test_the_hand_back_delay_doubles_with_each_handout_up_to_the_lease(db, receivers, relays):
    rx = receivers(fail_first=4, fail_status=503)
    [event_id] = grant(db, customer(), 1)
    relay = relays(rx.url, max_attempts=1, lease=2, timeout=0.5, retry_delay=0.3)
    wait_until(lambda: rx.delivered() == [event_id], what="delivery on the fifth hand-out")
    wait_until(lambda: pending(db) == 0, what="the acknowledgement")
    assert relay.stop() == 0

    requests = rx.snapshot()
    assert [r["status"] for r in requests] == [503, 503, 503, 503, 200]
    assert [r["headers"]["x-credit-ledger-handout"] for r in requests] == \
        ["1", "2", "3", "4", "5"]
    # Handed back after 0.3, 0.6 and 1.2 s; a delay of 2.4 s would outlast
    # the 2 s lease, so the fourth failure comes back when the lease ends.
    g = gaps(requests)
    for gap, expected in zip(g[:3], [0.3, 0.6, 1.2]):
        assert expected * 0.95 <= gap <= expected + 0.6, g
    assert 1.95 <= g[3] <= 3.5, g
    assert relay.log().count("(failed earlier, delay over)") == 3


def test_no_other_relay_takes_a_failed_event_before_its_delay(db, receivers, relays):
    rx = receivers(fail_first=2, fail_status=503)
    ids = grant(db, customer(), 2)
    a = relays(rx.url, "relay-a", max_attempts=1, retry_delay=3, lease=10)
    wait_until(lambda: len(rx.snapshot()) == 2, what="the first (failing) hand-out")
    failed_at = rx.snapshot()[-1]["time"]
    # relay-b polls ten times a second: were the events handed back at once,
    # it would take them and try the failing endpoint again right away.
    b = relays(rx.url, "relay-b", poll_interval=0.1, lease=10)
    wait_until(b.connected, what="relay-b to connect")
    time.sleep(0.5)  # relay-b claims at once, then polls
    rows = db.execute("SELECT claimed_by, claimed_until > now() FROM credit_ledger.events"
                      " ORDER BY event_id").fetchall()
    # (This check means something only inside relay-a's 3 s delay.)
    assert time.monotonic() - failed_at < 2.8, "relay-b took too long to start"
    assert rows == [("relay-a", True)] * 2
    assert len(rx.snapshot()) == 2
    wait_until(lambda: sorted(rx.delivered()) == ids, what="delivery after the delay")
    wait_until(lambda: pending(db) == 0, what="acknowledgements")
    assert a.stop() == 0 and b.stop() == 0

    requests = rx.snapshot()
    assert len(requests) == 4
    # Back after relay-a's delay (3 s), whichever relay claimed them then,
    # and long before the 10 s lease.
    assert 2.9 <= requests[2]["time"] - requests[1]["time"] < 8, gaps(requests)
    assert [r["headers"]["x-credit-ledger-handout"] for r in requests] == ["1", "1", "2", "2"]


def test_events_of_a_killed_relay_come_back_after_their_lease(db, receivers, relays):
    # A relay that dies cannot hand anything back: the lease does it.
    rx = receivers(fail_first=1, fail_status=503)
    [event_id] = grant(db, customer(), 1)
    dead = relays(rx.url, "relay-dead", lease=3, timeout=1, backoff_initial=1,
                  backoff_max=1, max_attempts=3)
    wait_until(lambda: "retrying in 1.00s" in dead.log(), what="the backoff pause")
    dead.stop(signal.SIGKILL)
    heir = relays(rx.url, "relay-heir", lease=3, timeout=1, poll_interval=0.2)
    wait_until(lambda: rx.delivered() == [event_id], what="delivery after the lease")
    wait_until(lambda: pending(db) == 0, what="the acknowledgement")
    assert heir.stop() == 0

    first, second = rx.snapshot()
    assert second["time"] - first["time"] >= 2.8  # the 3 s lease, from just before the POST
    assert [first["headers"]["x-credit-ledger-handout"],
            second["headers"]["x-credit-ledger-handout"]] == ["1", "2"]
    assert db.execute("SELECT claimed_by FROM credit_ledger.events").fetchone()[0] == "relay-heir"


@pytest.mark.parametrize("status", [422, 503])
def test_an_event_that_keeps_failing_is_dead_lettered_and_can_be_retried(
        db, receivers, relays, status):
    rx = receivers()
    bad, *good = grant(db, customer(), 3)
    rx.reject(bad, status, b'{"error": "no such\n customer"}')
    relay = relays(rx.url, dead_letter_after=3, max_attempts=2, retry_delay=0.2)
    wait_until(lambda: db.execute("SELECT failed_at IS NOT NULL FROM credit_ledger.events"
                                  " WHERE event_id = %s", (bad,)).fetchone()[0],
               what="the event to be dead-lettered")
    tries = 1 if status == 422 else 2  # a 422 is not retried within a hand-out
    assert [r["headers"]["x-credit-ledger-handout"] for r in rx.of(bad)] == \
        [h for h in ["1", "2", "3"] for _ in range(tries)]
    assert sorted(rx.delivered()) == good
    wait_until(lambda: pending(db) == 1, what="the others' acknowledgements")
    row = db.execute("SELECT attempts, processed_at, claimed_until, last_error"
                     " FROM credit_ledger.events WHERE event_id = %s", (bad,)).fetchone()
    assert row == (3, None, None, f'HTTP {status}: {{"error": "no such customer"}}')
    assert f"event {bad} (credits.granted) dead-lettered after 3 hand-outs" in relay.log()
    # A dead letter is no longer handed out: not to this relay (it would be
    # back after 0.8 s), nor to another one.
    time.sleep(1.5)
    assert len(rx.of(bad)) == 3 * tries
    assert claim_as_another_relay(db) == []

    # The receiver is fixed; someone retries the dead letter and the relay
    # delivers it.
    rx.accept(bad)
    assert db.execute("SELECT credit_events_retry(ARRAY[%s::bigint])", (bad,)).fetchone()[0] == 1
    wait_until(lambda: rx.delivered().count(bad) == 1, what="delivery of the retried event")
    wait_until(lambda: pending(db) == 0, what="its acknowledgement")
    assert relay.stop() == 0
    # credit_events_retry starts the hand-out count again.
    assert rx.of(bad)[-1]["headers"]["x-credit-ledger-handout"] == "1"
    row = db.execute("SELECT failed_at, last_error, processed_at IS NOT NULL"
                     " FROM credit_ledger.events WHERE event_id = %s", (bad,)).fetchone()
    assert row == (None, None, True)


def test_dead_letter_after_zero_never_gives_up(db, receivers, relays):
    rx = receivers()
    [bad] = grant(db, customer(), 1)
    rx.reject(bad, 422)
    relay = relays(rx.url, dead_letter_after=0, retry_delay=0.1, lease=5)
    wait_until(lambda: len(rx.of(bad)) >= 5, what="five hand-outs")  # 0.1, 0.2, 0.4, 0.8 s apart
    assert relay.stop() == 0
    row = db.execute("SELECT attempts >= 5, failed_at, last_error FROM credit_ledger.events"
                     " WHERE event_id = %s", (bad,)).fetchone()
    assert row == (True, None, None)
    assert "dead-lettered after" not in relay.log()
    assert claimable(db) == [bad]  # handed back when the relay stopped


def test_two_relays_never_deliver_the_same_event(db, receivers, relays):
    rx = receivers(delay=0.01)
    a = relays(rx.url, "relay-a", batch_size=5)
    b = relays(rx.url, "relay-b", batch_size=5)
    wait_until(lambda: a.connected() and b.connected(), what="both relays to connect")
    c = customer()
    for _ in range(15):
        grant(db, c, 10)
    ids = outbox_ids(db)
    assert len(ids) == 150
    wait_until(lambda: len(rx.snapshot()) >= 150 and pending(db) == 0, timeout=30,
               what="all 150 events delivered and acknowledged")
    assert a.stop() == 0 and b.stop() == 0

    counts = collections.Counter(r["event_id"] for r in rx.snapshot())
    assert counts == {i: 1 for i in ids}, [i for i, n in counts.items() if n > 1]
    rows = db.execute("SELECT claimed_by, count(*), max(attempts) FROM credit_ledger.events"
                      " GROUP BY claimed_by ORDER BY claimed_by").fetchall()
    # Both relays did part of the work, and no event was handed out twice.
    assert [r[0] for r in rows] == ["relay-a", "relay-b"]
    assert sum(r[1] for r in rows) == 150 and all(r[2] == 1 for r in rows)


def test_a_slow_receiver_does_not_make_leases_overlap(db, receivers, relays):
    # Each POST takes 0.3 s and a claim holds all 8 events for 2 s: a relay
    # must stop starting POSTs before its lease ends, or the other relay
    # would claim the same events again and deliver them a second time.
    rx = receivers(delay=0.3)
    ids = grant(db, customer(), 8)
    a = relays(rx.url, "relay-a", lease=2, timeout=0.9, poll_interval=0.1)
    b = relays(rx.url, "relay-b", lease=2, timeout=0.9, poll_interval=0.1)
    wait_until(lambda: pending(db) == 0, timeout=20, what="all events acknowledged")
    assert a.stop() == 0 and b.stop() == 0
    counts = collections.Counter(r["event_id"] for r in rx.snapshot())
    assert counts == {i: 1 for i in ids}, counts
    # Leases did run out on undelivered events (they were handed out again).
    assert db.execute("SELECT max(attempts) FROM credit_ledger.events").fetchone()[0] >= 2
    assert re.search(r"[1-9][0-9]* untried", a.log() + b.log())


def test_events_of_a_rolled_back_transaction_never_appear(db, receivers, relays):
    rx = receivers()
    relay = relays(rx.url, poll_interval=0.2)
    wait_until(relay.connected, what="the relay to connect")
    ghost, kept, partly, marker = customer(), customer(), customer(), customer()
    with psycopg.connect(DSN) as conn:  # not autocommit: explicit transactions
        conn.execute("SELECT credit_grant(%s, 'usd', 100)", (ghost,))
        conn.execute("SELECT credit_consume(%s, 'usd', 100)", (ghost,))
        assert len(outbox_ids(conn, ghost)) == 3  # visible inside, never outside
        conn.rollback()

        conn.execute("SELECT credit_grant(%s, 'usd', 5)", (kept,))
        with conn.transaction():  # a savepoint, rolled back
            conn.execute("SELECT credit_grant(%s, 'usd', 5)", (partly,))
            raise psycopg.Rollback()
        conn.commit()
    db.execute("SELECT credit_grant(%s, 'usd', 1)", (marker,))
    wait_until(lambda: {r["body"]["customer_id"] for r in rx.snapshot()} >= {kept, marker},
               what="the committed events")
    time.sleep(0.5)  # a few more polls: nothing else may arrive
    assert relay.stop() == 0

    seen = [r["body"]["customer_id"] for r in rx.snapshot()]
    assert sorted(seen) == sorted([kept, marker])
    assert outbox_ids(db, ghost) == [] and outbox_ids(db, partly) == []


def test_reconnects_and_catches_up_after_connection_loss(db, receivers, relays):
    rx = receivers()
    relay = relays(rx.url, "relay-reconnect", poll_interval=0.3)
    wait_until(relay.connected, what="the relay to connect")
    killed = db.execute("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                        " WHERE application_name = 'credit_relay relay-reconnect'").fetchone()[0]
    assert killed == 1
    ids = grant(db, customer(), 3)  # notifications may be lost: polling finds them
    wait_until(lambda: sorted(rx.delivered()) == ids, timeout=10, what="delivery after reconnecting")
    wait_until(lambda: pending(db) == 0, what="acknowledgements")
    assert relay.stop() == 0
    log = relay.log()
    assert "reconnecting" in log and relay.connected(times=2)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_signal_stops_promptly_even_during_backoff(db, receivers, relays, sig):
    rx = receivers(fail_first=10**6)
    ids = grant(db, customer(), 2)
    relay = relays(rx.url, backoff_initial=20, backoff_max=20, max_attempts=3, lease=60)
    wait_until(lambda: len(rx.snapshot()) >= 1, what="the first (failing) try")
    wait_until(lambda: "retrying in 20.00s" in relay.log(), what="the backoff pause")
    t0 = time.monotonic()
    assert relay.stop(sig) == 0
    assert time.monotonic() - t0 < 3
    assert f"stopped ({sig.name})" in relay.log()
    # Not delivered, so not acknowledged; but handed back, so another relay
    # takes them at once instead of after the 60 s lease.
    rows = db.execute("SELECT processed_at, claimed_by, claimed_until FROM credit_ledger.events"
                      " ORDER BY event_id").fetchall()
    assert rows == [(None, "relay-1", None)] * len(ids)
    assert "handed back 2 event(s) (stopping)" in relay.log()
    assert claim_as_another_relay(db) == ids


def test_drain_and_max_runtime_exit_cleanly(db, receivers, relays):
    rx = receivers()
    ids = grant(db, customer(), 4)
    drained = relays(rx.url, "relay-drain", drain=True, batch_size=3)
    assert drained.proc.wait(15) == 0
    assert sorted(rx.delivered()) == ids and pending(db) == 0
    assert "stopped (drained)" in drained.log()

    bounded = relays(rx.url, "relay-bounded", max_runtime=1)
    t0 = time.monotonic()
    assert bounded.proc.wait(15) == 0
    assert time.monotonic() - t0 < 6
    assert "stopped (max runtime reached)" in bounded.log()

    # Against a dead endpoint a --drain run tries each event once, exits,
    # and hands them back for the next run.
    down = receivers(fail_first=10**6, fail_status=503)
    ids = grant(db, customer(), 3)
    drained = relays(down.url, "relay-drain-down", drain=True, batch_size=2, max_attempts=1,
                     retry_delay=0.2, lease=60)
    assert drained.proc.wait(15) == 0
    assert "stopped (drained)" in drained.log()
    assert sorted(r["event_id"] for r in down.snapshot()) == ids
    assert claimable(db) == ids

    # So does --max-runtime, here in a backoff pause.
    bounded = relays(down.url, "relay-bounded-down", max_runtime=1.5, backoff_initial=20,
                     backoff_max=20, lease=60)
    assert bounded.proc.wait(15) == 0
    assert "stopped (max runtime reached)" in bounded.log()
    assert "handed back 3 event(s) (stopping)" in bounded.log()
    assert claim_as_another_relay(db) == ids


def test_bad_configuration_is_refused(tmp_path):
    run = subprocess.run([sys.executable, str(RELAY), "--webhook-url", "http://127.0.0.1:9/",
                          "--lease", "1", "--timeout", "2"],
                         capture_output=True, text=True, timeout=30)
    assert run.returncode == 2
    assert "--lease must be longer than --timeout" in run.stderr
    # The relay ends its leases 10% early: 1.9 s of a 2 s lease is too little.
    run = subprocess.run([sys.executable, str(RELAY), "--webhook-url", "http://127.0.0.1:9/",
                          "--lease", "2", "--timeout", "1.9"],
                         capture_output=True, text=True, timeout=30)
    assert run.returncode == 2
    assert "--lease must be longer than --timeout" in run.stderr
    run = subprocess.run([sys.executable, str(RELAY), "--webhook-url", "http://127.0.0.1:9/",
                          "--dead-letter-after", "-1"],
                         capture_output=True, text=True, timeout=30)
    assert run.returncode == 2
    assert "--dead-letter-after must not be negative" in run.stderr
