#!/usr/bin/env python3
"""credit_relay: a reference relay from the credit_ledger outbox to a webhook.

credit_ledger writes every event (credits.granted, credits.balance.usage_low,
credits.balance.depleted, credits.grant.depleted, credits.expired,
credits.voided) into the table credit_ledger.events in the transaction of the
change that caused it; with the setting credit_ledger.notify on (off by
default) it also announces each with NOTIFY credit_ledger_events at commit.
This relay moves those events to an HTTP endpoint:

1. It polls, adaptively: after a full batch it claims again at once; after
   a smaller one it waits --poll-min seconds (default 0.005), and each claim
   that finds nothing doubles the wait, up to --poll-interval (default
   0.25), so an idle relay claims about four times a second and a busy one
   keeps up without waiting. It also LISTENs on credit_ledger_events, so
   where the writers turn credit_ledger.notify on, a notification ends the
   wait at once. The outbox table is the truth; a notification is only a
   doorbell (one sent while the relay was disconnected is lost).
2. It claims a batch with credit_events_claim(batch_size, consumer, lease).
   A claim is a lease: no other relay gets these events until the lease runs
   out, so several relays can run at once against one database.
3. It POSTs each event as JSON:
       {"event_id": 42, "event_type": "credits.granted",
        "created_at": "2026-03-01T12:00:00Z", "customer_id": "acme",
        "credit_type": "usd", "data": {...the event's payload...}}
   with the headers Content-Type: application/json, Idempotency-Key and
   X-Credit-Ledger-Event (both the event id), X-Credit-Ledger-Event-Type,
   X-Credit-Ledger-Attempt (try number within this hand-out) and
   X-Credit-Ledger-Handout (how often the event was handed out), and, with
   --secret, X-Credit-Ledger-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of
   "<t>.<body>">. Any 2xx answer is a delivery.
4. A failed delivery (network error, timeout, an answer that is not HTTP,
   HTTP 500, 502, 503, 504, 408, 425, 429) is retried with exponential
   backoff (--backoff-initial doubling up to --backoff-max, with --jitter,
   honouring Retry-After) up to --max-attempts tries, and never past the
   lease. Other answers (3xx, other 4xx and 5xx) are not retried now. Once
   one event has used up its tries, the rest of the batch gets one try each
   until a delivery succeeds again, so a dead endpoint is not hammered.
5. It acknowledges what was delivered with credit_events_ack (before every
   backoff pause and at the end of the batch). What was not delivered stays
   unacknowledged and is handed out again, to this relay or another one. An
   event that failed is handed back with credit_events_release after a delay
   that doubles with each hand-out: --retry-delay times 2^(attempts - 1),
   so 5, 10, 20, 40 s with the defaults; until then the relay keeps its
   lease, so no other relay tries the failing endpoint with it sooner. Once
   the delay would outlast the lease, the event simply comes back when its
   lease runs out. Events the relay had no time to try are handed back at
   once. After a batch with failures the relay pauses --retry-delay
   seconds before claiming again, so a dead endpoint is not hammered.
6. An event that has been handed out --dead-letter-after times (its
   `attempts`) and failed again is given up on with credit_events_fail and
   the last error: a dead letter, no longer handed out until someone calls
   credit_events_retry. Permanent rejections (a 4xx) are treated like other
   failures: one answer cannot tell "this event is bad" from "the endpoint
   is misconfigured for every event".

Delivery is therefore at least once: an event can arrive twice (the relay died
between the POST and the acknowledgement, or a lease ran out during a slow
POST). Receivers deduplicate by event_id. Order is by event_id within a batch
but is not guaranteed across retries or relays.

On connection loss the relay reconnects with backoff, LISTENs again and claims
at once. SIGTERM or SIGINT stops it cleanly: the POST in flight finishes, what
was delivered is acknowledged, what it still holds is handed back with
credit_events_release (so another relay takes it at once, not after the
lease), and it exits 0 (as it does after --max-runtime and at the end of
--drain). Exit code 2 means bad configuration.

Every option but --header can also be set in the environment
(CREDIT_RELAY_<OPTION>, e.g. CREDIT_RELAY_WEBHOOK_URL, CREDIT_RELAY_SECRET); an
empty --dsn uses libpq's PG* variables.

Requires Python 3.9+ and psycopg 3 (Debian: python3-psycopg); HTTP is urllib
from the standard library.

    credit_relay.py --dsn 'dbname=app' --webhook-url https://example.test/hooks/credits
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import hmac
import http.client
import json
import logging
import os
import random
import select
import signal
import socket
import sys
import time
import urllib.error
import urllib.request
from datetime import timedelta, timezone
from typing import Dict, List, Optional, Tuple

import psycopg
from psycopg import sql
from psycopg.rows import dict_row

CHANNEL = "credit_ledger_events"
USER_AGENT = "credit-ledger-relay/1.0"
RETRYABLE_STATUS = {408, 425, 429, 500, 502, 503, 504}
RECONNECT_INITIAL = 0.5
RECONNECT_MAX = 30.0

log = logging.getLogger("credit_relay")


# --------------------------------------------------------------------------
# Configuration


@dataclasses.dataclass
class Config:
    dsn: str
    webhook_url: str
    batch_size: int
    lease: float
    consumer: str
    poll_interval: float
    poll_min: float
    retry_delay: float
    max_attempts: int
    backoff_initial: float
    backoff_max: float
    jitter: float
    timeout: float
    max_runtime: float
    secret: Optional[str]
    headers: List[Tuple[str, str]]
    drain: bool
    dead_letter_after: int


def _env(name: str, default: str) -> str:
    return os.environ.get("CREDIT_RELAY_" + name, default)


def _parser() -> argparse.ArgumentParser:
    """The command line, each option defaulting to its CREDIT_RELAY_ variable."""
    p = argparse.ArgumentParser(
        description="Relay credit_ledger events to a webhook (at least once).",
        epilog="Every option but --header also reads CREDIT_RELAY_<NAME> from the "
               "environment (e.g. CREDIT_RELAY_SECRET, which keeps the secret out of ps).")
    p.add_argument("--dsn", default=_env("DSN", ""),
                   help="libpq connection string or URI; empty = PG* variables")
    p.add_argument("--webhook-url", default=_env("WEBHOOK_URL", ""),
                   help="where events are POSTed (required)")
    p.add_argument("--batch-size", type=int, default=_env("BATCH_SIZE", "100"),
                   help="events claimed at once (1..10000, default 100)")
    p.add_argument("--lease", type=float, default=_env("LEASE", "60"),
                   help="seconds a claim is held before unacknowledged events "
                        "come back (default 60; must exceed --timeout)")
    p.add_argument("--consumer",
                   default=_env("CONSUMER", f"{socket.gethostname()}-{os.getpid()}"),
                   help="this relay's name in claimed_by (default host-pid)")
    p.add_argument("--poll-interval", type=float, default=_env("POLL_INTERVAL", "0.25"),
                   help="longest wait in seconds between claims while there is "
                        "nothing to deliver; a notification ends it sooner "
                        "(default 0.25)")
    p.add_argument("--poll-min", type=float, default=_env("POLL_MIN", "0.005"),
                   help="wait in seconds after a batch smaller than --batch-size, "
                        "doubled by each claim that finds nothing up to "
                        "--poll-interval (default 0.005)")
    p.add_argument("--retry-delay", type=float, default=_env("RETRY_DELAY", "5"),
                   help="pause in seconds after a batch with failures, and the first "
                        "delay before a failed event is handed back, doubled with "
                        "each hand-out (default 5)")
    p.add_argument("--max-attempts", type=int, default=_env("MAX_ATTEMPTS", "5"),
                   help="HTTP tries per event per hand-out (default 5)")
    p.add_argument("--backoff-initial", type=float,
                   default=_env("BACKOFF_INITIAL", "0.5"),
                   help="first retry delay in seconds, doubled each retry (default 0.5)")
    p.add_argument("--backoff-max", type=float, default=_env("BACKOFF_MAX", "30"),
                   help="longest retry delay in seconds (default 30)")
    p.add_argument("--jitter", type=float, default=_env("JITTER", "0.5"),
                   help="0..1: each delay is shortened by a random part up to "
                        "this fraction (default 0.5; 0 = deterministic)")
    p.add_argument("--timeout", type=float, default=_env("TIMEOUT", "10"),
                   help="HTTP timeout in seconds (default 10)")
    p.add_argument("--max-runtime", type=float, default=_env("MAX_RUNTIME", "0"),
                   help="stop cleanly after this many seconds (0 = run until signalled)")
    p.add_argument("--secret", default=_env("SECRET", "") or None,
                   help="sign each body with HMAC-SHA256 (X-Credit-Ledger-Signature)")
    p.add_argument("--header", action="append", default=[], metavar="NAME:VALUE",
                   help="an extra HTTP header, e.g. 'Authorization: Bearer x' (repeatable)")
    p.add_argument("--drain", action="store_true",
                   default=_env("DRAIN", "") not in ("", "0", "false"),
                   help="exit once a claim finds nothing to do (for cron jobs and "
                        "tests); what failed is handed back at exit")
    p.add_argument("--dead-letter-after", type=int,
                   default=_env("DEAD_LETTER_AFTER", "20"),
                   help="give up on an event (credit_events_fail) when it still "
                        "fails on its Nth hand-out (default 20; 0 = never)")
    p.add_argument("--log-level", default=_env("LOG_LEVEL", "INFO"),
                   help="DEBUG, INFO (default), WARNING or ERROR")
    return p


def _checked_headers(p: argparse.ArgumentParser, a: argparse.Namespace) -> List[Tuple[str, str]]:
    """Refuses (p.error: exit 2) options out of range or inconsistent with
    each other; returns the --header options as (name, value) pairs."""
    headers = []
    for h in a.header:
        name, sep, value = h.partition(":")
        if not sep or not name.strip():
            p.error(f"--header {h!r} is not NAME:VALUE")
        headers.append((name.strip(), value.strip()))
    if not a.webhook_url:
        p.error("--webhook-url (or CREDIT_RELAY_WEBHOOK_URL) is required")
    if not a.webhook_url.startswith(("http://", "https://")):
        p.error("--webhook-url must be an http:// or https:// URL")
    if not 1 <= a.batch_size <= 10000:
        p.error("--batch-size must be between 1 and 10000")
    if a.max_attempts < 1:
        p.error("--max-attempts must be at least 1")
    if (a.timeout <= 0 or a.poll_interval <= 0 or a.poll_min <= 0 or a.retry_delay <= 0
            or a.backoff_initial < 0 or a.backoff_max < 0):
        p.error("--timeout, --poll-interval, --poll-min and --retry-delay must be "
                "positive, backoffs not negative")
    if a.poll_min > a.poll_interval:
        p.error("--poll-min must not be longer than --poll-interval")
    if a.lease * 0.9 <= a.timeout:
        # The relay ends its leases 10% early (see Relay.claim).
        p.error("--lease must be longer than --timeout (by more than a tenth of "
                "--lease), or a delivery could outlive its lease")
    if not 0 <= a.jitter <= 1:
        p.error("--jitter must be between 0 and 1")
    if not a.consumer:
        p.error("--consumer must not be empty")
    if a.dead_letter_after < 0:
        p.error("--dead-letter-after must not be negative (0 = never)")
    return headers


def parse_args(argv: Optional[List[str]] = None) -> Config:
    p = _parser()
    a = p.parse_args(argv)
    logging.basicConfig(level=a.log_level.upper(), stream=sys.stderr,
                        format="%(asctime)s credit_relay %(levelname)s %(message)s")
    headers = _checked_headers(p, a)
    return Config(dsn=a.dsn, webhook_url=a.webhook_url, batch_size=a.batch_size,
                  lease=a.lease, consumer=a.consumer, poll_interval=a.poll_interval,
                  poll_min=a.poll_min, retry_delay=a.retry_delay,
                  max_attempts=a.max_attempts, backoff_initial=a.backoff_initial,
                  backoff_max=a.backoff_max, jitter=a.jitter, timeout=a.timeout,
                  max_runtime=a.max_runtime, secret=a.secret, headers=headers,
                  drain=a.drain, dead_letter_after=a.dead_letter_after)


# --------------------------------------------------------------------------
# Stopping and sleeping


class Stopper:
    """Turns SIGTERM/SIGINT and --max-runtime into a flag, and sleeps in a way
    a stop request interrupts at once (the signal handler writes to a pipe
    that every wait selects on)."""

    def __init__(self, max_runtime: float):
        self._read_fd, self._write_fd = os.pipe()
        os.set_blocking(self._write_fd, False)
        self.deadline = time.monotonic() + max_runtime if max_runtime > 0 else None
        self.reason: Optional[str] = None

    def install_signal_handlers(self) -> None:
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, self._on_signal)

    def _on_signal(self, signum, _frame) -> None:
        self.stop(signal.Signals(signum).name)

    def stop(self, reason: str) -> None:
        if self.reason is None:
            self.reason = reason
            try:
                os.write(self._write_fd, b"x")
            except BlockingIOError:
                pass

    @property
    def stopping(self) -> bool:
        if self.reason is None and self.deadline is not None and time.monotonic() >= self.deadline:
            self.stop("max runtime reached")
        return self.reason is not None

    def wait(self, seconds: float, fd: Optional[int] = None) -> bool:
        """Sleeps up to `seconds`, less if asked to stop; returns True when
        `fd` became readable."""
        timeout = max(0.0, seconds)
        if self.deadline is not None:
            timeout = min(timeout, max(0.0, self.deadline - time.monotonic()))
        fds = [self._read_fd] if fd is None else [self._read_fd, fd]
        try:
            readable, _, _ = select.select(fds, [], [], timeout)
        except InterruptedError:  # pragma: no cover (PEP 475 retries select)
            readable = []
        self.stopping  # noqa: B018  (records a runtime deadline that passed)
        return fd is not None and fd in readable


# --------------------------------------------------------------------------
# The webhook


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A webhook answers; it does not redirect. A 3xx is a failed delivery
    (urllib would otherwise re-send a POST as a GET without its body)."""

    def redirect_request(self, *args, **kwargs):
        return None


@dataclasses.dataclass
class Outcome:
    ok: bool
    retryable: bool
    detail: str
    retry_after: Optional[float] = None
    answer: str = ""  # the start of an error answer's body, for dead letters

    def error_text(self) -> str:
        """What a dead letter records as its last_error."""
        return f"{self.detail}: {self.answer}" if self.answer else self.detail


def event_body(event: dict) -> bytes:
    """The JSON document POSTed for one row of credit_ledger.events."""
    created = event["created_at"].astimezone(timezone.utc)
    return json.dumps({
        "event_id": event["event_id"],
        "event_type": event["event_type"],
        "created_at": created.isoformat().replace("+00:00", "Z"),
        "customer_id": event["customer_id"],
        "credit_type": event["credit_type"],
        "data": event["payload"],
    }, separators=(",", ":")).encode("utf-8")


class Webhook:
    def __init__(self, cfg: Config):
        self.cfg = cfg
        self.opener = urllib.request.build_opener(_NoRedirect())

    def post(self, event: dict, attempt: int, timeout: float) -> Outcome:
        body = event_body(event)
        event_id = str(event["event_id"])
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "Idempotency-Key": event_id,
            "X-Credit-Ledger-Event": event_id,
            "X-Credit-Ledger-Event-Type": event["event_type"],
            "X-Credit-Ledger-Attempt": str(attempt),
            "X-Credit-Ledger-Handout": str(event["attempts"]),
        }
        if self.cfg.secret:
            t = str(int(time.time()))
            mac = hmac.new(self.cfg.secret.encode(), t.encode() + b"." + body, hashlib.sha256)
            headers["X-Credit-Ledger-Signature"] = f"t={t},v1={mac.hexdigest()}"
        headers.update(self.cfg.headers)
        request = urllib.request.Request(self.cfg.webhook_url, data=body,
                                         headers=headers, method="POST")
        try:
            with self.opener.open(request, timeout=timeout) as response:
                response.read()
                return Outcome(True, False, f"HTTP {response.status}")
        except urllib.error.HTTPError as e:
            answer = _answer_excerpt(e)
            e.close()
            return Outcome(False, e.code in RETRYABLE_STATUS, f"HTTP {e.code}",
                           _retry_after(e.headers.get("Retry-After")), answer)
        except (urllib.error.URLError, OSError, http.client.HTTPException) as e:
            # refused, reset, timeout, DNS, or not an HTTP answer at all
            reason = getattr(e, "reason", e)
            text = " ".join(str(reason).split())  # one log line
            return Outcome(False, True, f"{type(reason).__name__}: {text}")


def _answer_excerpt(error: urllib.error.HTTPError, limit: int = 200) -> str:
    """The start of an error answer's body on one line ("" if unreadable):
    receivers often say there why they reject an event."""
    try:
        raw = error.read(limit)
    except (OSError, http.client.HTTPException, ValueError, AttributeError):
        return ""
    return " ".join((raw or b"").decode("utf-8", "replace").split())


def _retry_after(value: Optional[str]) -> Optional[float]:
    """Seconds from a Retry-After header in its delta-seconds form."""
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None


# --------------------------------------------------------------------------
# The relay


class Relay:
    def __init__(self, cfg: Config, stopper: Stopper):
        self.cfg = cfg
        self.stopper = stopper
        self.webhook = Webhook(cfg)
        self.conn: Optional[psycopg.Connection] = None
        self.functions: Optional[sql.Composable] = None  # the extension's schema
        self.notified = False
        self.pending_acks: List[int] = []
        # Events this relay holds a lease on and has neither delivered, handed
        # back nor dead-lettered, with the monotonic time by which that lease
        # must be treated as over (see claim()). credit_events_release and
        # credit_events_fail act only on events this consumer still holds;
        # the relay also calls them only for events whose lease it knows is
        # not about to end.
        self.held: Dict[int, float] = {}
        # Failed events to hand back later: event_id -> monotonic time.
        self.release_at: Dict[int, float] = {}
        self.delivered_total = 0

    # -- database

    def connect(self) -> None:
        conn = psycopg.connect(self.cfg.dsn, autocommit=True,
                               application_name=f"credit_relay {self.cfg.consumer}"[:63])
        conn.add_notify_handler(self._on_notify)
        row = conn.execute(
            "SELECT extnamespace::regnamespace::text FROM pg_catalog.pg_extension"
            " WHERE extname = 'credit_ledger'").fetchone()
        if row is None:
            conn.close()
            raise SystemExit("the credit_ledger extension is not "
                             "installed in this database")
        # regnamespace::text is already quoted where needed.
        self.functions = sql.SQL(row[0])
        conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(CHANNEL)))
        self.conn = conn
        log.info("connected (backend %d), listening on %s as consumer %r, "
                 "polling every %g to %g s", conn.info.backend_pid, CHANNEL,
                 self.cfg.consumer, self.cfg.poll_min, self.cfg.poll_interval)

    def close(self) -> None:
        if self.conn is not None:
            try:
                self.conn.close()
            except psycopg.Error:
                pass
            self.conn = None

    def _on_notify(self, _notify: psycopg.Notify) -> None:
        self.notified = True

    def claim(self) -> Tuple[List[dict], float]:
        """Claims a batch; returns it with the monotonic time by which every
        delivery must have finished (a safe margin inside the lease)."""
        started = time.monotonic()
        with self.conn.cursor(row_factory=dict_row) as cur:
            cur.execute(sql.SQL("SELECT * FROM {}.credit_events_claim(%s, %s, %s)")
                        .format(self.functions),
                        (self.cfg.batch_size, self.cfg.consumer,
                         timedelta(seconds=self.cfg.lease)))
            events = cur.fetchall()
        # The server's lease starts after `started`: ending 10% early leaves
        # room for clock rate differences and the acknowledgement itself.
        lease_end = started + self.cfg.lease * 0.9
        # Forget events whose lease has ended: they are not ours any more.
        now = time.monotonic()
        self.held = {i: end for i, end in self.held.items() if end > now}
        self.release_at = {i: t for i, t in self.release_at.items() if i in self.held}
        for event in events:
            self.held[event["event_id"]] = lease_end
            self.release_at.pop(event["event_id"], None)
        return events, lease_end

    def flush_acks(self) -> None:
        if not self.pending_acks:
            return
        ids, self.pending_acks = self.pending_acks, []
        try:
            n = self.conn.execute(sql.SQL("SELECT {}.credit_events_ack(%s::bigint[])")
                                  .format(self.functions), (ids,)).fetchone()[0]
        except psycopg.Error:
            log.warning("could not acknowledge events %s: they will be delivered again", ids)
            raise
        log.debug("acknowledged %d event(s) (%d newly)", len(ids), n)

    def _still_held(self, event_ids: List[int]) -> List[int]:
        """Forgets the given events and returns those whose lease is still
        this relay's; the others may be another relay's by now."""
        now = time.monotonic()
        for i in event_ids:
            self.release_at.pop(i, None)
        return [i for i in event_ids if self.held.pop(i, 0.0) > now]

    def release(self, event_ids: List[int], why: str) -> None:
        """Hands events back (credit_events_release) so that any relay can
        claim them at once instead of after the lease."""
        ids = self._still_held(event_ids)
        if not ids:
            return
        n = self.conn.execute(sql.SQL("SELECT {}.credit_events_release(%s::bigint[], %s)")
                              .format(self.functions), (ids, self.cfg.consumer)).fetchone()[0]
        log.info("handed back %d event(s) (%s): %s", n, why, _id_list(ids))

    def hand_back_later(self, event: dict) -> None:
        """Schedules a failed event's release: after --retry-delay times
        2^(hand-outs - 1), if this relay's lease lasts that long (otherwise
        the lease running out hands it back). Until then this relay keeps
        the lease, so no other relay retries the event sooner; handing it
        back at once would let every relay that polls or is notified try it
        (and the failing endpoint) again right away, and its hand-out count
        would climb towards --dead-letter-after within a short outage."""
        event_id = event["event_id"]
        delay = self.cfg.retry_delay * 2 ** min(max(event["attempts"], 1) - 1, 30)
        due = time.monotonic() + delay
        if due < self.held.get(event_id, 0.0):
            self.release_at[event_id] = due

    def release_due(self) -> None:
        now = time.monotonic()
        due = [i for i, t in self.release_at.items() if t <= now]
        if due:
            self.release(sorted(due), "failed earlier, delay over")

    def until_next_release(self) -> float:
        if not self.release_at:
            return float("inf")
        return max(0.0, min(self.release_at.values()) - time.monotonic())

    def dead_letter(self, event: dict, outcome: Outcome) -> bool:
        """Gives up on an event (credit_events_fail) with its last error;
        returns False when its lease has ended (it is then dead-lettered on a
        later hand-out, if it fails again)."""
        event_id = event["event_id"]
        if not self._still_held([event_id]):
            log.warning("event %d: not dead-lettered, its lease has ended", event_id)
            return False
        self.conn.execute(sql.SQL("SELECT {}.credit_events_fail(%s::bigint[], %s, %s)")
                          .format(self.functions),
                          ([event_id], self.cfg.consumer, outcome.error_text()))
        log.error("event %d (%s) dead-lettered after %d hand-outs: %s; "
                  "credit_events_retry hands it out again", event_id,
                  event["event_type"], event["attempts"], outcome.error_text())
        return True

    # -- delivery

    def backoff(self, attempt: int, retry_after: Optional[float]) -> float:
        delay = min(self.cfg.backoff_max, self.cfg.backoff_initial * 2 ** (attempt - 1))
        delay *= 1.0 - self.cfg.jitter * random.random()
        if retry_after is not None:
            delay = max(delay, min(retry_after, self.cfg.backoff_max))
        return delay

    # deliver() results
    DELIVERED, FAILED, OUT_OF_TIME = "delivered", "failed", "out of time"

    def deliver(self, event: dict, max_attempts: int,
                lease_end: float) -> Tuple[str, Optional[Outcome]]:
        """POSTs one event, retrying with backoff; returns the result and
        the last try's outcome. Never starts a try that could outlive the
        lease (returns OUT_OF_TIME instead), so a relay never delivers an
        event another relay may hold by now."""
        event_id = event["event_id"]
        outcome = None
        for attempt in range(1, max_attempts + 1):
            if self.stopper.stopping:
                return self.OUT_OF_TIME, outcome
            if lease_end - time.monotonic() < self.cfg.timeout:
                return self.OUT_OF_TIME, outcome
            outcome = self.webhook.post(event, attempt, self.cfg.timeout)
            if outcome.ok:
                log.debug("delivered event %d (%s) on try %d (hand-out %d): %s",
                          event_id, event["event_type"], attempt, event["attempts"],
                          outcome.detail)
                return self.DELIVERED, outcome
            if not outcome.retryable or attempt == max_attempts:
                log.warning("event %d: try %d failed (%s); giving up on this hand-out "
                            "(%d)", event_id, attempt, outcome.detail, event["attempts"])
                return self.FAILED, outcome
            delay = self.backoff(attempt, outcome.retry_after)
            if time.monotonic() + delay + self.cfg.timeout > lease_end:
                log.warning("event %d: try %d failed (%s); no time left in the lease",
                            event_id, attempt, outcome.detail)
                return self.FAILED, outcome
            log.warning("event %d: try %d failed (%s); retrying in %.2fs",
                        event_id, attempt, outcome.detail, delay)
            self.flush_acks()  # do not hold delivered events through the pause
            self.stopper.wait(delay)
        return self.FAILED, outcome

    def process(self, events: List[dict], lease_end: float) -> Tuple[int, List[int], int, List[int]]:
        """Delivers a claimed batch in event_id order; returns how many were
        delivered, the ids of those that failed (and were not dead-lettered),
        how many were dead-lettered, and the ids left untried (lease running
        out, or stopping)."""
        delivered, failed, dead = 0, [], 0
        degraded = False  # an event used up its tries: one try each until one succeeds
        for n, event in enumerate(events):
            result, outcome = self.deliver(
                event, 1 if degraded else self.cfg.max_attempts, lease_end)
            if result == self.OUT_OF_TIME:
                self.flush_acks()
                self.delivered_total += delivered
                return delivered, failed, dead, [e["event_id"] for e in events[n:]]
            if result == self.DELIVERED:
                # Delivered: never to be handed back, even if the
                # acknowledgement is lost (it is then delivered again after
                # the lease, at least once).
                self.held.pop(event["event_id"], None)
                self.pending_acks.append(event["event_id"])
                delivered += 1
                degraded = False
                continue
            degraded = True
            # `attempts` counts hand-outs, this one included.
            if (self.cfg.dead_letter_after
                    and event["attempts"] >= self.cfg.dead_letter_after
                    and self.dead_letter(event, outcome)):
                dead += 1
                continue
            failed.append(event["event_id"])
            if not self.cfg.drain:  # a --drain run tries each event once
                self.hand_back_later(event)
        self.flush_acks()
        self.delivered_total += delivered
        return delivered, failed, dead, []

    # -- main loop

    def wait_for_work(self, seconds: float) -> None:
        """Returns on a notification, after `seconds`, or when stopping."""
        end = time.monotonic() + seconds
        while not self.notified and not self.stopper.stopping:
            left = end - time.monotonic()
            if left <= 0:
                return
            if self.stopper.wait(left, self.conn.fileno()):
                # Reads what arrived: notifications reach _on_notify, and a
                # dead connection raises OperationalError.
                self.conn.execute("SELECT 1")

    def serve(self) -> None:
        """Claims and delivers until asked to stop (or, with --drain, until
        there is nothing left). Between claims it waits adaptively: not at
        all after a full batch, --poll-min after a smaller one, twice as long
        after each claim that found nothing, up to --poll-interval; a
        notification ends any wait."""
        idle_wait = self.cfg.poll_min
        while not self.stopper.stopping:
            self.notified = False
            self.release_due()
            events, lease_end = self.claim()
            if not events:
                if self.cfg.drain:
                    self.stopper.stop("drained")
                    break
                log.debug("nothing to claim; next claim in at most %.3fs", idle_wait)
                self.wait_for_work(min(idle_wait, self.until_next_release()))
                idle_wait = min(idle_wait * 2, self.cfg.poll_interval)
                continue
            idle_wait = self.cfg.poll_min
            first, last = events[0]["event_id"], events[-1]["event_id"]
            log.debug("claimed %d event(s): %d..%d", len(events), first, last)
            delivered, failed, dead, untried = self.process(events, lease_end)
            log.info("events %d..%d: %d delivered, %d failed, %d dead-lettered, %d untried",
                     first, last, delivered, len(failed), dead, len(untried))
            if self.stopper.stopping:
                break  # run() hands back what this relay still holds
            # Events left untried for lack of time are not failing: hand them
            # back at once rather than after the lease.
            self.release(untried, "no time left to try them")
            if failed or dead:
                # The endpoint is unwell, or rejects events: pause before the
                # next claim, whatever notifications say.
                self.stopper.wait(self.cfg.retry_delay)
                continue
            if delivered and len(events) == self.cfg.batch_size:
                continue  # probably more waiting
            self.wait_for_work(min(idle_wait, self.until_next_release()))

    def run(self) -> int:
        delay = RECONNECT_INITIAL
        while not self.stopper.stopping:
            try:
                self.connect()
                delay = RECONNECT_INITIAL
                self.serve()
            except (psycopg.OperationalError, psycopg.InterfaceError) as e:
                log.warning("database connection lost or refused (%s); reconnecting in %.1fs",
                            str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__,
                            delay)
                # Unacknowledged and not handed back: they come back after the lease.
                self.pending_acks.clear()
                self.held.clear()
                self.release_at.clear()
                self.close()
                self.stopper.wait(delay)
                delay = min(delay * 2, RECONNECT_MAX)
            except psycopg.Error as e:
                log.error("database error (%s: %s); retrying in %.1fs",
                          type(e).__name__, str(e).strip(), delay)
                self.pending_acks.clear()
                self.held.clear()
                self.release_at.clear()
                self.close()
                self.stopper.wait(delay)
                delay = min(delay * 2, RECONNECT_MAX)
        if self.conn is not None:
            # Acknowledge what was delivered, then hand back what this relay
            # still holds, so another relay takes it at once rather than
            # after the lease.
            try:
                self.flush_acks()
            except psycopg.Error:
                pass  # flush_acks logged it
            try:
                self.release(list(self.held), "stopping")
            except psycopg.Error as e:
                log.warning("could not hand back events on the way out (%s): "
                            "they come back when their lease runs out",
                            str(e).strip() or type(e).__name__)
        self.close()
        log.info("stopped (%s) after delivering %d event(s)", self.stopper.reason,
                 self.delivered_total)
        return 0


def _id_list(ids: List[int], limit: int = 20) -> str:
    shown = ", ".join(str(i) for i in ids[:limit])
    return shown + (f" and {len(ids) - limit} more" if len(ids) > limit else "")


def main(argv: Optional[List[str]] = None) -> int:
    cfg = parse_args(argv)
    stopper = Stopper(cfg.max_runtime)
    stopper.install_signal_handlers()
    try:
        return Relay(cfg, stopper).run()
    except SystemExit as e:  # fatal configuration problem found at connect
        if isinstance(e.code, str):
            log.error("%s", e.code)
            return 2
        raise


if __name__ == "__main__":
    sys.exit(main())
