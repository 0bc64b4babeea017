#!/usr/bin/env python3
"""topup_loop: the automatic top-up loop of credit_ledger, from Python.

credit_auto_topup_configure(customer_id, credit_type, threshold, amount, ...)
tells the ledger to ask for more credit when an operation that takes credit
(a consume, a hold, a capture, a negative adjustment, a void, an expiry)
leaves the available balance below `threshold`. In that operation's
transaction the ledger creates a *pending* grant of `amount` (kind 'topup':
not spendable yet) and the outbox event credits.auto_topup.requested
(grant_id, amount, cost_basis, balance). This program is the other half:

1. claim events from the outbox (credit_events_claim, a lease);
2. for each credits.auto_topup.requested, charge the customer (here a fake
   payment provider) with the grant id as the payment's idempotency key;
3. paid: credit_grant_confirm(customer_id, grant_id, idempotency_key) - the
   block enters the wallet; declined: credit_grant_cancel - the block is
   closed and the next operation below the threshold asks again;
4. acknowledge the event (credit_events_ack) in the same transaction as the
   confirm or cancel, so the two commit together.

Delivery is at least once: if the program dies between the charge and the
commit, the event is handed out again when its lease runs out. The provider
deduplicates the charge by its idempotency key and the confirm replays by
its own key ('topup-<grant_id>'), so a redelivered request never credits
twice; a cancel that already happened answers LG006, which means "settled".

Other events are passed to `on_other` (default: acknowledged untouched); in
an application that already runs credit_relay.py, handle the top-up event in
the webhook receiver instead, with the same three calls.

    python3 topup_loop.py --dsn 'dbname=app' --drain

Requires Python 3.9+ and psycopg 3 (Debian: python3-psycopg).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional

import psycopg

TOPUP_EVENT = "credits.auto_topup.requested"


@dataclass
class Charge:
    ok: bool
    payment_id: Optional[str] = None
    error: Optional[str] = None


@dataclass
class FakePayments:
    """A payment provider stand-in: charges succeed unless the customer is in
    `declined`; a charge with an idempotency key it has seen returns the
    first answer (as Stripe's Idempotency-Key does)."""

    declined: set = field(default_factory=set)
    charges: Dict[str, Charge] = field(default_factory=dict)
    calls: int = 0

    def charge(self, customer_id: str, amount: str, cost_basis: Optional[str],
               idempotency_key: str) -> Charge:
        self.calls += 1
        if idempotency_key in self.charges:
            return self.charges[idempotency_key]
        if customer_id in self.declined:
            result = Charge(ok=False, error="card declined")
        else:
            result = Charge(ok=True, payment_id=f"pay_{len(self.charges) + 1}")
        self.charges[idempotency_key] = result
        return result


def handle_topup(conn: psycopg.Connection, event: dict, payments) -> str:
    """Settles one credits.auto_topup.requested event and acknowledges it,
    in one transaction. Returns 'confirmed', 'canceled' or 'settled' (the
    block was confirmed or canceled before: a redelivery)."""
    data = event["payload"]
    customer_id = event["customer_id"]
    grant_id = int(data["grant_id"])
    key = f"topup-{grant_id}"
    charge = payments.charge(customer_id, data["amount"], data.get("cost_basis"), key)
    with conn.transaction():
        try:
            with conn.transaction():  # a savepoint: LG006 leaves the ack possible
                if charge.ok:
                    conn.execute("SELECT credit_grant_confirm(%s, %s, %s)",
                                 (customer_id, grant_id, key))
                    outcome = "confirmed"
                else:
                    conn.execute("SELECT credit_grant_cancel(%s, %s, %s)",
                                 (customer_id, grant_id, charge.error))
                    outcome = "canceled"
        except psycopg.Error as e:
            if e.sqlstate != "LG006":  # anything but "already settled"
                raise
            outcome = "settled"
        conn.execute("SELECT credit_events_ack(%s)", ([event["event_id"]],))
    return outcome


def claim(conn: psycopg.Connection, batch_size: int, consumer: str,
          lease: str) -> List[dict]:
    with conn.transaction():
        cur = conn.execute(
            "SELECT event_id, event_type, customer_id, payload"
            "  FROM credit_events_claim(%s, %s, %s::interval)",
            (batch_size, consumer, lease))
        names = [c.name for c in cur.description]
        return [dict(zip(names, row)) for row in cur.fetchall()]


def ack(conn: psycopg.Connection, event: dict) -> None:
    with conn.transaction():
        conn.execute("SELECT credit_events_ack(%s)", ([event["event_id"]],))


def drain(conn: psycopg.Connection, payments,
          on_other: Optional[Callable[[dict], None]] = None,
          batch_size: int = 100, consumer: str = "topup_loop",
          lease: str = "30 seconds") -> Dict[str, int]:
    """Claims and handles events until the outbox has none left to hand out.
    Returns how many top-ups were confirmed, canceled or already settled,
    and how many other events were passed on."""
    counts = {"confirmed": 0, "canceled": 0, "settled": 0, "other": 0}
    while True:
        events = claim(conn, batch_size, consumer, lease)
        if not events:
            return counts
        for event in events:
            if event["event_type"] == TOPUP_EVENT:
                counts[handle_topup(conn, event, payments)] += 1
            else:
                if on_other is not None:
                    on_other(event)
                ack(conn, event)
                counts["other"] += 1


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dsn", default="", help="libpq connection string (default: PG* variables)")
    parser.add_argument("--decline", action="append", default=[],
                        help="a customer whose card the fake provider declines (repeatable)")
    parser.add_argument("--drain", action="store_true",
                        help="handle what is in the outbox, then exit")
    args = parser.parse_args(argv)
    if not args.drain:
        parser.error("only --drain is implemented in this example; run it from cron or a loop")
    payments = FakePayments(declined=set(args.decline))
    with psycopg.connect(args.dsn, autocommit=True) as conn:
        counts = drain(conn, payments)
    print(json.dumps(counts))
    return 0


if __name__ == "__main__":
    sys.exit(main())
