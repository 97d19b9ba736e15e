"""The push worker: claims outbox jobs, sends them over one HTTP/2 connection, settles them.
Each batch also delivers due webhook events (app/webhooks/delivery.py) over one HTTP client.

`make run` starts one in a thread of the web process; production runs
`flask --app wsgi push-worker`, any number of them against one PostgreSQL database.
"""
from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta

from flask import Flask
from sqlalchemy import select
from sqlalchemy.engine import make_url

from app.extensions import db
from app.models._common import utcnow
from app.wallet import outbox
from app.wallet.changes import on_outbox_commit
from app.wallet.google_delivery import run_batch as deliver_google
from app.webhooks.delivery import WebhookSender
from app.webhooks.delivery import run_batch as deliver_webhooks
from passes.apple.apns import ApnsSender, CertificateAuth, PushResult, TokenAuth

log = logging.getLogger(__name__)


def make_sender(app: Flask) -> ApnsSender:
    config = app.config
    auth: CertificateAuth | TokenAuth
    if config["APNS_AUTH"] == "token":
        auth = TokenAuth(config["APNS_KEY_FILE"], config["APNS_KEY_ID"], config["APNS_TEAM_ID"])
    else:
        auth = CertificateAuth(config["PASS_CERT_FILE"], config["PASS_KEY_FILE"], config["PASS_KEY_PASSWORD"] or None)
    return ApnsSender(config["APNS_URL"], config["PASS_TYPE_IDENTIFIER"], auth, ca_file=config["APNS_CA_FILE"],
                      max_streams=config.get("APNS_MAX_STREAMS", 100))


# A message or program-wide card change still unfinished this long after it started lost its process
# (a request changes 100,000 cards in about 6 s); the worker finishes it, checking once a minute.
STALE_AFTER = 300.0
RESUME_EVERY = 60.0


class PushWorker:
    def __init__(self, app: Flask, *, name: str | None = None, batch_size: int = 500, lease_seconds: float = 60.0,
                 idle_wait: float = 2.0, sender_factory: Callable[[Flask], ApnsSender] = make_sender,
                 webhooks: WebhookSender | None = None) -> None:
        self.app = app
        self.name = name or f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident() % 100000}"
        self.batch_size = batch_size
        self.lease_seconds = lease_seconds
        self.idle_wait = idle_wait
        self._sender_factory = sender_factory
        self._sender: ApnsSender | None = None
        self.webhooks = webhooks or WebhookSender()
        self._wake = threading.Event()
        self.sent = 0
        self._batches = 0
        self.stale_after = STALE_AFTER
        self._resumed_at: float | None = None

    def wake(self) -> None:
        self._wake.set()

    @property
    def sender(self) -> ApnsSender:
        if self._sender is None:
            self._sender = self._sender_factory(self.app)
        return self._sender

    def run_once(self) -> int:
        """One batch: claim, send, settle pushes, then webhooks. Returns how many jobs it handled."""
        with self.app.app_context():
            handled = self._pushes()
            handled += deliver_webhooks(self.name, self.webhooks, self.batch_size, self.lease_seconds)
            handled += deliver_google(self.name, self.batch_size, self.lease_seconds)
            if handled:
                self._batches += 1
                if self._batches % 100 == 0:
                    outbox.prune_attempts(self.app.config.get("PUSH_HISTORY_LIMIT", 100_000))
            db.session.remove()
            return handled

    def _pushes(self) -> int:
        jobs = outbox.claim(self.name, self.batch_size, self.lease_seconds)
        if not jobs:
            return 0
        tokens = list(dict.fromkeys(j.push_token for j in jobs))  # one push per device wakes all its passes
        results: dict[str, PushResult] = {r.token: r for r in self.sender.send_many(tokens)}
        outbox.settle(self.name, jobs, results)
        self.sent += len(tokens)
        return len(jobs)

    def resume_stale(self, now: datetime | None = None) -> int:
        """Finish the messages and program-wide card changes whose batches stopped halfway and that
        started over `stale_after` seconds ago (the process working them died), from where their
        records say they stopped, so no one has to run `resume-card-changes`. Another process still
        working one only shares its batches. Returns how many were finished."""
        from app.loyalty.segments import SENDING, finish_message
        from app.models import CardSweep, SentMessage
        from app.wallet.sweeps import SWEEPING, finish_sweep

        with self.app.app_context():
            cutoff = (now or utcnow()) - timedelta(seconds=self.stale_after)
            messages = db.session.scalars(select(SentMessage.id).where(
                SentMessage.status == SENDING, SentMessage.created_at < cutoff).order_by(SentMessage.id)).all()
            sweeps = db.session.scalars(select(CardSweep.id).where(
                CardSweep.status == SWEEPING, CardSweep.created_at < cutoff).order_by(CardSweep.id)).all()
            db.session.rollback()
            for message_id in messages:
                log.warning("finishing message %s, which stopped halfway", message_id)
                finish_message(message_id)
            for sweep_id in sweeps:
                log.warning("finishing card change %s, which stopped halfway", sweep_id)
                finish_sweep(sweep_id)
            db.session.remove()
            return len(messages) + len(sweeps)

    def _resume_now_and_then(self) -> None:
        clock = time.monotonic()
        if self._resumed_at is not None and clock - self._resumed_at < RESUME_EVERY:
            return
        self._resumed_at = clock
        try:
            self.resume_stale()
        except Exception:  # noqa: BLE001 (pushes go on; the next check tries again)
            log.exception("unfinished messages or card changes could not be finished now")

    def _idle(self, stop: threading.Event) -> None:
        with self.app.app_context():
            due = outbox.next_due()
            db.session.remove()
        wait = self.idle_wait if due is None else min(self.idle_wait, due)
        if wait > 0:
            self._wake.wait(wait)
        self._wake.clear()

    def run(self, stop: threading.Event) -> None:
        unsubscribe = on_outbox_commit(self.wake)
        listener = _PostgresListener(self.app, self.wake, stop)
        listener.start()
        try:
            while not stop.is_set():
                try:
                    handled = self.run_once()
                except Exception:  # noqa: BLE001 (a bad batch must not end the worker; its lease expires)
                    log.exception("push batch failed; retrying after a pause")
                    stop.wait(1.0)
                    continue
                if not handled and not stop.is_set():
                    self._resume_now_and_then()
                    self._idle(stop)
        finally:
            unsubscribe()
            listener.join()
            self.close()

    def close(self) -> None:
        self.webhooks.close()
        if self._sender is not None:
            self._sender.close()
            self._sender = None


class _PostgresListener(threading.Thread):
    """LISTEN for commits made by other processes, so a separate worker wakes at once."""

    def __init__(self, app: Flask, wake: Callable[[], None], stop: threading.Event) -> None:
        super().__init__(name="outbox-listener", daemon=True)
        url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
        self.dsn = url.set(drivername="postgresql").render_as_string(hide_password=False) \
            if url.get_backend_name() == "postgresql" else None
        self.wake = wake
        self.stop = stop

    def start(self) -> None:
        if self.dsn:
            super().start()

    def join(self, timeout: float | None = 5.0) -> None:
        if self.dsn and self.is_alive():
            super().join(timeout)

    def run(self) -> None:
        import psycopg

        while not self.stop.is_set():
            try:
                with psycopg.connect(self.dsn, autocommit=True) as conn:
                    conn.execute("LISTEN tessera_outbox")
                    while not self.stop.is_set():
                        for _ in conn.notifies(timeout=0.5, stop_after=1):
                            self.wake()
            except psycopg.Error:
                log.warning("outbox listener lost its connection; reconnecting")
                self.stop.wait(1.0)


def start_embedded_worker(app: Flask) -> tuple[PushWorker, threading.Event, threading.Thread]:
    """The worker thread of `make run`: pushes without a second process."""
    worker = PushWorker(app, name=f"embedded:{os.getpid()}")
    stop = threading.Event()
    thread = threading.Thread(target=worker.run, args=(stop,), name="push-worker", daemon=True)
    thread.start()
    return worker, stop, thread
