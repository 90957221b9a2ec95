"""On PostgreSQL, audited writes about different members go on side by side: each transaction locks only
the chains of the members it writes about. Writes about the same member still wait, one after the other,
and a checkpoint never counts past a row that is still in flight.

Each writer is a thread with its own connection and its own transaction. Whether a thread is waiting is
read from pg_stat_activity (it waits on a lock) rather than from a clock.
"""

import threading

import pytest
from django.db import connection, connections, transaction
from django.utils import timezone

from circles.audit import checkpoint
from circles.audit.models import AuditEvent
from circles.audit.trail import first_break, record, signing_key

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite writes one transaction at a time"),
    pytest.mark.django_db(transaction=True),
]

ENOUGH = 30  # seconds: only ever reached when something is wrong; then the test fails rather than hangs


class InItsOwnTransaction(threading.Thread):
    """Runs `work` in a transaction of its own; with `hold`, keeps the transaction open until it is set."""

    def __init__(self, work, hold: threading.Event | None = None):
        super().__init__(daemon=True)
        self.work, self.hold = work, hold
        self.pid: int | None = None
        self.connected, self.worked, self.done = threading.Event(), threading.Event(), threading.Event()
        self.result = self.error = None

    def run(self):
        try:
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_backend_pid()")
                    self.pid = cursor.fetchone()[0]
                self.connected.set()
                self.result = self.work()
                self.worked.set()
                if self.hold is not None:
                    self.hold.wait(ENOUGH)
            self.done.set()
        except Exception as error:  # handed to the test, which fails with it
            self.error = error
        finally:
            connections.close_all()


def _waiting_on_a_lock(pid: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", [pid])
        found = cursor.fetchone()
    return found is not None and found[0] == "Lock"


def _finishes_or_waits(thread: InItsOwnTransaction) -> str:
    """ "finished" once the thread's transaction has committed, "waiting" once it waits on a lock."""
    assert thread.connected.wait(ENOUGH)
    for _ in range(ENOUGH * 50):
        if thread.done.is_set():
            return "finished"
        if thread.pid is not None and _waiting_on_a_lock(thread.pid):
            return "waiting"
        thread.done.wait(0.02)
    raise AssertionError(f"neither finished nor waiting on a lock: {thread.error!r}")


def _recording(actor_id: int, subject_id: int, n: int = 0):
    return lambda: record("checkin.view", actor_id, subject=subject_id, object_ref=f"scope:mood{n}")


def _start(thread: InItsOwnTransaction) -> InItsOwnTransaction:
    thread.start()
    return thread


def _end(*threads: InItsOwnTransaction) -> None:
    for thread in threads:
        thread.join(ENOUGH)
        assert not thread.is_alive() and thread.error is None, thread.error


def test_a_write_about_another_member_finishes_while_the_first_is_still_open(riley, jamie, sam):
    release = threading.Event()
    about_riley = _start(InItsOwnTransaction(_recording(sam.pk, riley.pk), hold=release))
    try:
        assert about_riley.worked.wait(ENOUGH), about_riley.error
        about_jamie = _start(InItsOwnTransaction(_recording(sam.pk, jamie.pk)))
        outcome = _finishes_or_waits(about_jamie)
        assert not about_riley.done.is_set()  # riley's transaction was open all along
    finally:
        release.set()
    _end(about_riley, about_jamie)
    assert outcome == "finished"
    assert list(AuditEvent.objects.order_by("id").values_list("chain", flat=True)) == [riley.pk, jamie.pk]
    assert first_break() is None


def test_writes_about_the_same_member_wait_for_each_other_and_stay_chained(riley, sam, casey):
    release = threading.Event()
    first = _start(InItsOwnTransaction(_recording(sam.pk, riley.pk, 1), hold=release))
    try:
        assert first.worked.wait(ENOUGH), first.error
        second = _start(InItsOwnTransaction(_recording(casey.pk, riley.pk, 2)))
        outcome = _finishes_or_waits(second)
    finally:
        release.set()
    _end(first, second)
    assert outcome == "waiting"
    earlier, later = AuditEvent.objects.order_by("id")
    assert (earlier.object_ref, later.object_ref) == ("scope:mood1", "scope:mood2")
    assert later.previous_hash == earlier.hash
    assert first_break() is None


def test_a_checkpoint_waits_for_a_row_still_in_flight_below_its_last_id(riley, jamie, sam, monkeypatch):
    """Riley's row takes the smaller id but commits after jamie's. A checkpoint read in between must not
    stop at jamie's id without riley's row: it waits until no write is in flight, then counts both."""
    monkeypatch.setattr(checkpoint, "QUIET_SECONDS", 0)  # queue for the lock at once, so the wait shows
    release = threading.Event()
    about_riley = _start(InItsOwnTransaction(_recording(sam.pk, riley.pk), hold=release))
    try:
        assert about_riley.worked.wait(ENOUGH), about_riley.error
        _end(_start(InItsOwnTransaction(_recording(sam.pk, jamie.pk))))
        reading = _start(InItsOwnTransaction(lambda: checkpoint.current(timezone.now(), signing_key().id)))
        outcome = _finishes_or_waits(reading)
    finally:
        release.set()
    _end(about_riley, reading)
    assert outcome == "waiting"
    riley_row, jamie_row = AuditEvent.objects.order_by("id")
    assert riley_row.chain == riley.pk and jamie_row.chain == jamie.pk
    written = reading.result
    assert (written.rows, written.last_id, written.chains) == (2, jamie_row.pk, 2)
    assert checkpoint.compare(written) is None
