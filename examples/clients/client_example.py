#!/usr/bin/env python3
"""Using credit_ledger from a Python application (psycopg 3).

Runnable, and it checks what it shows (exit status 0 only if every check
holds):

  (a) a business write (an order row) and credit_consume commit together in
      one transaction, and roll back together when the business write fails;
  (b) retrying a unit of work with the same idempotency key after the
      connection dropped
        - before COMMIT (the backend is killed with pg_terminate_backend):
          nothing was written, the retry applies once (replayed = false);
        - after COMMIT, before the client read the answer (a proxy between
          client and server loses the reply, as a network or pooler failure
          would): the client cannot tell whether it committed, the retry
          returns the original result (replayed = true);
      either way the customer is charged exactly once;
  (c) the hard limit: credit_consume raises SQLSTATE LG001, caught by its
      SQLSTATE (e.sqlstate), with the transaction rolled back or a savepoint
      keeping the rest of it.

    python3 client_example.py ['dbname=app']   # default: libpq's PG* variables

The database needs the credit_ledger extension; the example creates the
credit type 'usd' if missing, a table example_orders, and customers of its
own. It needs the right to call pg_terminate_backend on its own sessions
(any role may terminate its own backends).
"""

from __future__ import annotations

import socket
import sys
import threading
import uuid
from decimal import Decimal

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from psycopg.rows import namedtuple_row

DSN = sys.argv[1] if len(sys.argv) > 1 else ""
RUN = uuid.uuid4().hex[:8]  # customers and orders of this run


def check(condition: bool, what: str) -> None:
    if not condition:
        print(f"not ok - {what}")
        sys.exit(1)


def ok(what: str) -> None:
    print(f"ok - {what}")


def setup(conn: psycopg.Connection) -> None:
    with conn.transaction():
        if conn.execute("SELECT 1 FROM credit_ledger.credit_types"
                        " WHERE credit_type = 'usd'").fetchone() is None:
            conn.execute("SELECT credit_type_create('usd', 2)")
        conn.execute("""
            CREATE TABLE IF NOT EXISTS example_orders (
                order_id    text PRIMARY KEY,
                customer_id text NOT NULL,
                credits     numeric NOT NULL,
                status      text NOT NULL DEFAULT 'paid')""")


def balance(conn: psycopg.Connection, customer: str) -> Decimal:
    return conn.execute("SELECT credit_balance(%s, 'usd')", (customer,)).fetchone()[0]


def orders(conn: psycopg.Connection, customer: str) -> int:
    return conn.execute("SELECT count(*) FROM example_orders WHERE customer_id = %s",
                        (customer,)).fetchone()[0]


def new_customer(conn: psycopg.Connection, credits: int) -> str:
    customer = f"py-{RUN}-{uuid.uuid4().hex[:6]}"
    with conn.transaction():
        conn.execute("SELECT credit_grant(%s, 'usd', %s)", (customer, credits))
    return customer


def place_order(conn, customer, order_id, credits, before_commit=lambda: None):
    """The unit of work: record the order and charge for it, atomically.

    It is safe to run again after any failure: the order insert does nothing
    if the order exists, and the consume is keyed by the order, so a retry
    never charges twice."""
    with conn.transaction():
        conn.execute("INSERT INTO example_orders (order_id, customer_id, credits)"
                     " VALUES (%s, %s, %s) ON CONFLICT (order_id) DO NOTHING",
                     (order_id, customer, credits))
        with conn.cursor(row_factory=namedtuple_row) as cur:
            result = cur.execute(
                "SELECT * FROM credit_consume(%s, 'usd', %s, idempotency_key => %s,"
                " feature => 'orders', source_id => %s)",
                (customer, credits, f"order:{order_id}", order_id)).fetchone()
        before_commit()
    return result


# --------------------------------------------------------------------------
# (a) one transaction


def demo_transaction(conn: psycopg.Connection) -> None:
    customer = new_customer(conn, 100)

    result = place_order(conn, customer, f"{customer}-1", Decimal("30.00"))
    check(result.balance == Decimal("70.00") and result.replayed is False,
          "consume returned the new balance")
    check(orders(conn, customer) == 1 and balance(conn, customer) == Decimal("70.00"),
          "order and charge committed together")
    ok("(a) order insert and credit_consume commit together")

    # The business write fails after the consume: both roll back.
    try:
        with conn.transaction():
            conn.execute("SELECT credit_consume(%s, 'usd', 20, idempotency_key => 'dup')",
                         (customer,))
            conn.execute("INSERT INTO example_orders (order_id, customer_id, credits)"
                         " VALUES (%s, %s, 20)", (f"{customer}-1", customer))  # duplicate
        check(False, "the duplicate order should have failed")
    except psycopg.errors.UniqueViolation:
        pass
    check(balance(conn, customer) == Decimal("70.00") and orders(conn, customer) == 1,
          "a failed business write undoes the consume")
    # A call that rolled back did not use its key.
    with conn.transaction():
        r = conn.execute("SELECT replayed FROM credit_consume(%s, 'usd', 20,"
                         " idempotency_key => 'dup')", (customer,)).fetchone()
    check(r[0] is False and balance(conn, customer) == Decimal("50.00"),
          "the rolled-back key is still unused")
    ok("(a) a failed business write rolls the consume back with it")


# --------------------------------------------------------------------------
# (b) retry after a dropped connection


class LossyProxy:
    """A TCP proxy on 127.0.0.1 in front of the server that can lose the
    server's next reply: after lose_next_reply(), the client's next message
    is passed on, and when the server answers, both connections are closed
    instead. The server has done the work; the client only sees the
    connection die."""

    def __init__(self, upstream):
        self.upstream = upstream  # a unix socket path, or (host, port)
        self.armed = threading.Event()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def lose_next_reply(self) -> None:
        self.armed.set()

    def _connect_upstream(self) -> socket.socket:
        if isinstance(self.upstream, str):
            s = socket.socket(socket.AF_UNIX)
            s.connect(self.upstream)
            return s
        return socket.create_connection(self.upstream)

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            server = self._connect_upstream()
            state = {"drop": False}
            threading.Thread(target=self._pump, args=(client, server, state, True),
                             daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client, state, False),
                             daemon=True).start()

    def _pump(self, src, dst, state, from_client) -> None:
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                if from_client and self.armed.is_set():
                    self.armed.clear()
                    state["drop"] = True
                elif not from_client and state["drop"]:
                    break  # the reply is lost
                dst.sendall(data)
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()

    def close(self) -> None:
        self.listener.close()


def upstream_of(conn: psycopg.Connection):
    host, port = conn.info.host, conn.info.port
    if host.startswith("/"):
        return f"{host}/.s.PGSQL.{port}"
    return (conn.info.hostaddr or host, port)


def demo_retry(conn: psycopg.Connection) -> None:
    # Before COMMIT: the backend is terminated while the transaction is open.
    customer = new_customer(conn, 100)
    order_id = f"{customer}-1"
    victim = psycopg.connect(DSN, autocommit=True)
    admin = psycopg.connect(DSN, autocommit=True)

    def terminate_backend():
        admin.execute("SELECT pg_terminate_backend(%s, 5000)", (victim.info.backend_pid,))

    try:
        place_order(victim, customer, order_id, Decimal("40.00"), before_commit=terminate_backend)
        check(False, "COMMIT should have failed")
    except psycopg.OperationalError as e:
        check(e.sqlstate in ("57P01", None), f"connection error, got {e.sqlstate}")
    victim.close()
    admin.close()
    check(orders(conn, customer) == 0 and balance(conn, customer) == Decimal("100.00"),
          "nothing committed before the connection died")
    with psycopg.connect(DSN, autocommit=True) as retry_conn:
        result = place_order(retry_conn, customer, order_id, Decimal("40.00"))
    check(result.replayed is False and result.balance == Decimal("60.00"),
          "the retry applied the consume (first try rolled back)")
    check(orders(conn, customer) == 1 and balance(conn, customer) == Decimal("60.00"),
          "charged exactly once")
    ok("(b) connection killed before COMMIT: the retry applies once (replayed = false)")

    # After COMMIT: the server committed, the reply never reached the client.
    customer = new_customer(conn, 100)
    order_id = f"{customer}-1"
    proxy = LossyProxy(upstream_of(conn))
    params = conninfo_to_dict(DSN)
    params.update(host="127.0.0.1", hostaddr="127.0.0.1", port=str(proxy.port),
                  sslmode="disable")
    proxied = psycopg.connect(make_conninfo(**params), autocommit=True)
    first = None
    try:
        first = place_order(proxied, customer, order_id, Decimal("40.00"),
                            before_commit=proxy.lose_next_reply)
    except psycopg.OperationalError as e:
        print(f"# COMMIT failed with a connection error: {str(e).strip().splitlines()[0]}")
    proxied.close()
    proxy.close()
    check(first is None, "the client never learnt the outcome")
    # In doubt, the application retries the whole unit of work.
    with psycopg.connect(DSN, autocommit=True) as retry_conn:
        result = place_order(retry_conn, customer, order_id, Decimal("40.00"))
    check(result.replayed is True and result.balance == Decimal("60.00"),
          "the retry replayed the committed consume")
    check(orders(conn, customer) == 1 and balance(conn, customer) == Decimal("60.00"),
          "charged exactly once")
    ops = conn.execute("SELECT count(*) FROM credit_ledger.operations"
                       " WHERE customer_id = %s AND operation_type = 'consume'",
                       (customer,)).fetchone()[0]
    check(ops == 1, "one consume operation in the ledger")
    ok("(b) reply lost after COMMIT: the retry returns replayed = true, charged once")


# --------------------------------------------------------------------------
# (c) the hard limit


def demo_hard_limit(conn: psycopg.Connection) -> None:
    customer = new_customer(conn, 10)

    try:
        place_order(conn, customer, f"{customer}-big", Decimal("25.00"))
        check(False, "the consume should have failed")
    except psycopg.Error as e:
        if e.sqlstate != "LG001":
            raise
        print(f"# LG001: {e.diag.message_primary} ({e.diag.message_detail})")
    check(orders(conn, customer) == 0 and balance(conn, customer) == Decimal("10.00"),
          "nothing written: the order rolled back with the failed consume")
    ok("(c) insufficient credits raise LG001 and the transaction rolls back")

    # Or keep the transaction: the consume in a savepoint, the order recorded
    # as needing payment.
    with conn.transaction():
        conn.execute("INSERT INTO example_orders (order_id, customer_id, credits)"
                     " VALUES (%s, %s, 25)", (f"{customer}-big", customer))
        try:
            with conn.transaction():  # SAVEPOINT
                conn.execute("SELECT credit_consume(%s, 'usd', 25)", (customer,))
        except psycopg.Error as e:
            if e.sqlstate != "LG001":
                raise
            conn.execute("UPDATE example_orders SET status = 'payment_required'"
                         " WHERE order_id = %s", (f"{customer}-big",))
    status = conn.execute("SELECT status FROM example_orders WHERE customer_id = %s",
                          (customer,)).fetchone()[0]
    check(status == "payment_required" and balance(conn, customer) == Decimal("10.00"),
          "order kept as payment_required, nothing charged")
    ok("(c) LG001 caught in a savepoint keeps the rest of the transaction")


def main() -> int:
    with psycopg.connect(DSN, autocommit=True) as conn:
        setup(conn)
        demo_transaction(conn)
        demo_retry(conn)
        demo_hard_limit(conn)
    return 0


if __name__ == "__main__":
    sys.exit(main())
