#!/usr/bin/env python3
"""Measures the relay's delivery latency: from a writer's COMMIT returning to
the webhook receiving the event, with credit_ledger.notify off (the default:
the relay finds events by polling) and on (a notification wakes it).

Two workloads per mode: lone events (one grant, then a random pause of up to
--gap seconds, so the relay is caught at every point of its idle backoff) and
a steady stream (one grant every --stream-every seconds). Prints the median,
95th percentile and maximum of each, in milliseconds.

    CREDIT_LEDGER_TEST_DSN='dbname=relay_test' python3 examples/relay/measure_latency.py

The database needs the extension and the credit type 'usd' (the relay tests
create it); the outbox is emptied first, so use a database of its own.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
import uuid
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_credit_relay import DSN, Receiver, RelayProcess, wait_until  # noqa: E402


def measure(db, rx, n, pause):
    """Commits n grants, each followed by pause(); returns the latencies in ms."""
    latencies = []
    for _ in range(n):
        customer = "lat-" + uuid.uuid4().hex[:10]
        db.execute("SELECT credit_grant(%s, 'usd', 1)", (customer,))
        committed = time.monotonic()
        event_id = db.execute("SELECT event_id FROM credit_ledger.events WHERE customer_id = %s",
                              (customer,)).fetchone()[0]
        wait_until(lambda: any(r["event_id"] == event_id for r in rx.snapshot()),
                   timeout=30, interval=0.001, what=f"event {event_id}")
        arrived = next(r["time"] for r in rx.snapshot() if r["event_id"] == event_id)
        latencies.append((arrived - committed) * 1000)
        pause()
    return latencies


def summary(latencies):
    q = statistics.quantiles(latencies, n=20)
    return (f"median {statistics.median(latencies):6.1f}  p95 {q[18]:6.1f}  "
            f"max {max(latencies):6.1f} ms  (n={len(latencies)})")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--events", type=int, default=40, help="events per workload (default 40)")
    p.add_argument("--gap", type=float, default=1.0,
                   help="longest random pause between lone events, s (default 1)")
    p.add_argument("--stream-every", type=float, default=0.02,
                   help="pause between events of the stream, s (default 0.02)")
    p.add_argument("--poll-interval", default="0.25")
    p.add_argument("--poll-min", default="0.005")
    a = p.parse_args()
    db = psycopg.connect(DSN, autocommit=True)
    db.execute("SELECT credit_events_ack(coalesce(array_agg(event_id), '{}'))"
               " FROM credit_ledger.events")
    db.execute("SELECT credit_events_prune('0')")
    rx = Receiver()
    log = Path("/tmp/credit_relay_latency.log")
    relay = RelayProcess(rx.url, "relay-latency", log, **{
        "poll_interval": a.poll_interval, "poll_min": a.poll_min, "max_runtime": "3600"})
    try:
        wait_until(lambda: "listening on" in log.read_text(), what="the relay to connect")
        print(f"relay: --poll-min {a.poll_min} --poll-interval {a.poll_interval}")
        for notify in ("off", "on"):
            db.execute(f"SET credit_ledger.notify = {notify}")
            lone = measure(db, rx, a.events, lambda: time.sleep(random.uniform(0, a.gap)))
            stream = measure(db, rx, a.events * 5, lambda: time.sleep(a.stream_every))
            print(f"notify {notify:3}  lone events:  {summary(lone)}")
            print(f"notify {notify:3}  stream 1/{a.stream_every}s: {summary(stream)}")
    finally:
        relay.stop()
        rx.close()
        db.close()


if __name__ == "__main__":
    main()
