"""The worker's side of the outbox: claim due rows with a lease, deliver, record, escalate.

A claim moves a row's due time forward by the lease and names the worker, in one short transaction;
on PostgreSQL the candidate rows are read with `FOR UPDATE SKIP LOCKED`, so any number of workers on
any number of machines take different rows. SQLite has one writer at a time, so one worker is enough
there. A worker that dies after claiming loses nothing: when the lease runs out the row is due again
and the next claim retries it (at-least-once; a death between sending and recording is the one way a
message goes out twice).

The lease is short (ALERT_LEASE_SECONDS, 10 s by default) so that what a dead worker held is due again
within seconds. A live worker keeps what it is sending: it renews the lease just before each send, and
its `LeaseKeeper` thread renews it every third of the lease while the send is in flight.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from circles.alerts import channels, logic
from circles.alerts.models import (
    Alert,
    AlertStatus,
    DeliveryAttempt,
    EscalationTimer,
    Notification,
    NotificationStatus,
    SkipReason,
)
from circles.alerts.outbox import WAKE_CHANNEL, ask_rung
from circles.lib.repeating import RepeatingThread
from circles.sharing.logic import ALERTS
from circles.sharing.models import Consent

log = logging.getLogger(__name__)

BATCH = 5  # small, so that the sends of one claim finish well inside its lease


def lease() -> dt.timedelta:
    return dt.timedelta(seconds=settings.ALERT_LEASE_SECONDS)


def in_flight_limit() -> float:
    """Seconds one send keeps its lease renewed. A send still going after that is taken to be stuck:
    its lease runs out and the next claim sends it again (the duplicate the docs warn of)."""
    return 2 * max(settings.EMAIL_TIMEOUT, settings.ALERT_HTTP_TIMEOUT) + settings.ALERT_LEASE_SECONDS


def _still_claimed(notification: Notification, worker: str):
    """The row as long as nobody else has claimed it since: a claim names its worker and counts an attempt."""
    return Notification.objects.filter(
        pk=notification.pk,
        status=NotificationStatus.PENDING,
        claimed_by=worker,
        attempts=notification.attempts,
    )


class LeaseKeeper:
    """Renews the leases of the rows this worker is sending, every third of the lease, on its own thread.

    So a slow send that is still alive keeps its row while a dead worker's rows fall due within one
    lease. Renewal of a row stops when its send ends, or after `in_flight_limit()` if it never does.
    """

    def __init__(self, worker: str) -> None:
        self.worker = worker
        self._lock = threading.Lock()
        self._in_flight: dict[int, tuple[int, float]] = {}  # id: (attempt number, monotonic time to stop)
        self._thread = RepeatingThread(
            "alerts-lease-keeper", every=lambda: settings.ALERT_LEASE_SECONDS / 3, work=self.renew
        )

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._thread.stop()

    @contextmanager
    def sending(self, notification: Notification) -> Iterator[None]:
        with self._lock:
            stop_at = time.monotonic() + in_flight_limit()
            self._in_flight[notification.pk] = (notification.attempts, stop_at)
        try:
            yield
        finally:
            # Taking the lock waits for a renewal under way, so none lands after the outcome (a retry
            # time, say) is recorded.
            with self._lock:
                self._in_flight.pop(notification.pk, None)

    def renew(self) -> int:
        """Moves the lease of every row in flight a full lease ahead; returns how many it renewed."""
        with self._lock:
            now_monotonic = time.monotonic()
            rows = [(pk, n) for pk, (n, stop_at) in self._in_flight.items() if stop_at > now_monotonic]
            if not rows:
                return 0
            mine = Q()
            for pk, attempts in rows:
                mine |= Q(pk=pk, attempts=attempts)
            now = timezone.now()
            return Notification.objects.filter(
                mine, status=NotificationStatus.PENDING, claimed_by=self.worker
            ).update(due_at=now + lease())


def _claim_ids(queryset, worker: str, now: dt.datetime, **changes) -> list[int]:
    with transaction.atomic():
        candidates = queryset.order_by("due_at")
        if connection.features.has_select_for_update_skip_locked:
            candidates = candidates.select_for_update(skip_locked=True)
        ids = list(candidates.values_list("id", flat=True)[:BATCH])
        if ids:
            queryset.model.objects.filter(id__in=ids).update(
                due_at=now + lease(), claimed_by=worker, **changes
            )
    return ids


def claim_notifications(worker: str, now: dt.datetime) -> list[Notification]:
    """Due notifications, now leased to this worker, each with an attempt row started."""
    with transaction.atomic():
        # A row whose every attempt ended with its worker dying (a send that crashes or hangs it) is
        # not claimed again and again for ever: it is dead, shown as such, and stops delaying others.
        Notification.objects.due(now).filter(attempts__gte=settings.ALERT_MAX_ATTEMPTS).update(
            status=NotificationStatus.DEAD, last_error="the worker stopped during every attempt"
        )
        ids = _claim_ids(Notification.objects.due(now), worker, now, attempts=F("attempts") + 1)
        if not ids:
            return []
        claimed = list(
            Notification.objects.filter(id__in=ids)
            .select_related("alert__member", "recipient")
            .order_by("id")
        )
        DeliveryAttempt.objects.bulk_create(
            [
                DeliveryAttempt(notification=n, number=n.attempts, worker=worker, started_at=now)
                for n in claimed
            ]
        )
    return claimed


def _consent_still_live(notification: Notification, now) -> bool:
    """A retry minutes later goes out only while the person may still be asked."""
    consent = Consent.objects.live(now).filter(tie_id=notification.tie_id).only("scopes").first()
    return consent is not None and ALERTS in consent.scopes


def deliver_one(notification: Notification, worker: str, keeper: LeaseKeeper | None = None) -> str:
    """Sends a claimed notification and records the outcome; returns the status it ended in.

    Just before sending, the lease is renewed in full — unless another worker claimed the row after
    this one's lease ran out (earlier sends of the batch were slow), in which case it is left to them.
    """
    started = timezone.now()
    if not _still_claimed(notification, worker).update(due_at=started + lease()):
        DeliveryAttempt.objects.filter(notification=notification, number=notification.attempts).update(
            finished_at=started, ok=False, error="the lease ran out before sending; left to another claim"
        )
        return NotificationStatus.PENDING
    error: channels.DeliveryFailed | None = None
    withdrawn = not _consent_still_live(notification, started)
    if not withdrawn:
        try:
            with keeper.sending(notification) if keeper else nullcontext():
                channels.deliver(notification)
        except channels.DeliveryFailed as failure:
            error = failure
        except Exception as failure:  # a bug in a channel must not stop the worker or lose the row
            log.exception("alerts: unexpected error sending notification %s", notification.pk)
            error = channels.DeliveryFailed(f"{type(failure).__name__}: {failure}")
    now = timezone.now()
    with transaction.atomic():
        row = Notification.objects.select_for_update().filter(pk=notification.pk).first()
        if row is None:  # the member erased their account meanwhile
            return NotificationStatus.CANCELLED
        attempt = DeliveryAttempt.objects.filter(notification=row, number=notification.attempts).last()
        retry_at = None
        if withdrawn:
            row.status, row.skip_reason = NotificationStatus.CANCELLED, SkipReason.CONSENT_WITHDRAWN
        elif error is None:
            row.status, row.sent_at, row.last_error = NotificationStatus.SENT, now, ""
        else:
            row.last_error = str(error)[:500]
            if error.permanent or row.attempts >= settings.ALERT_MAX_ATTEMPTS:
                row.status = NotificationStatus.DEAD
            else:
                wait = logic.backoff_seconds(
                    row.attempts, base=settings.ALERT_RETRY_BASE_SECONDS, cap=settings.ALERT_RETRY_CAP_SECONDS
                )
                retry_at = row.due_at = now + dt.timedelta(seconds=wait)
        row.save(update_fields=["status", "sent_at", "last_error", "due_at", "skip_reason"])
        if attempt is not None:
            attempt.finished_at = now
            attempt.ok = error is None and not withdrawn
            attempt.error = row.last_error if error else ("consent withdrawn" if withdrawn else "")
            attempt.next_attempt_at = retry_at
            attempt.save(update_fields=["finished_at", "ok", "error", "next_attempt_at"])
    if error is not None:
        log.warning("alerts: notification %s attempt %s failed: %s", row.pk, row.attempts, error)
    return row.status


def claim_timers(worker: str, now: dt.datetime) -> list[int]:
    return _claim_ids(EscalationTimer.objects.filter(fired_at__isnull=True, due_at__lte=now), worker, now)


def fire_timer(timer_id: int) -> None:
    """A rung's window closed: ask the next rung unless someone answered or the member closed it."""
    now = timezone.now()
    with transaction.atomic():
        timer = EscalationTimer.objects.select_for_update().filter(pk=timer_id, fired_at__isnull=True).first()
        if timer is None:
            return
        alert = Alert.objects.select_for_update().get(pk=timer.alert_id)
        timer.fired_at = now
        timer.save(update_fields=["fired_at"])
        if alert.status == AlertStatus.ACTIVE and alert.rung == timer.rung:
            ask_rung(alert, timer.rung + 1, now)


@dataclass
class Round:
    sent: int = 0
    failed: int = 0
    timers: int = 0

    @property
    def handled(self) -> int:
        return self.sent + self.failed + self.timers


def work_due(worker: str, *, max_rows: int = 200, keeper: LeaseKeeper | None = None) -> Round:
    """Handles what is due now: escalation timers first, then notifications, up to `max_rows`.

    `keeper` (run_worker starts one) renews each send's lease while it is in flight.
    """
    done = Round()
    while done.handled < max_rows:
        now = timezone.now()
        if not anything_due(now):  # a read: an idle worker never takes SQLite's write lock
            break
        timer_ids = claim_timers(worker, now)
        for timer_id in timer_ids:
            fire_timer(timer_id)
            done.timers += 1
        claimed = claim_notifications(worker, now)
        for notification in claimed:
            if deliver_one(notification, worker, keeper) == NotificationStatus.SENT:
                done.sent += 1
            else:
                done.failed += 1
        if not timer_ids and not claimed:
            break
    return done


def anything_due(now: dt.datetime) -> bool:
    """A cheap read, so an idle worker on SQLite polls without taking the write lock."""
    return (
        Notification.objects.due(now).exists()
        or EscalationTimer.objects.filter(fired_at__isnull=True, due_at__lte=now).exists()
    )


def close_answered_alerts(now: dt.datetime) -> int:
    """An answered alert closes itself after a day, so the same condition can raise a new one."""
    cutoff = now - dt.timedelta(hours=settings.ALERT_ANSWERED_OPEN_HOURS)
    return Alert.objects.filter(status=AlertStatus.ANSWERED, answered_at__lt=cutoff).update(
        status=AlertStatus.CLOSED, closed_at=now
    )


class Waker:
    """Waits for new outbox rows: PostgreSQL LISTEN/NOTIFY on a connection of its own, or a short sleep.

    Either way it never waits longer than `timeout`, so retries and timers that fall due are handled
    within that time even if a notification is missed.
    """

    def __init__(self, stop_event) -> None:
        self.stop = stop_event
        self.listener = None

    def _listen(self):
        if self.listener is None and connection.vendor == "postgresql":
            import psycopg

            params = connection.get_connection_params()
            params.pop("cursor_factory", None)
            params.pop("context", None)
            params.pop("prepare_threshold", None)
            self.listener = psycopg.connect(**params, autocommit=True)
            self.listener.execute(f"LISTEN {WAKE_CHANNEL}")
        return self.listener

    def wait(self, timeout: float) -> None:
        try:
            listener = self._listen()
        except Exception:  # the database is away: fall back to sleeping, try again next time
            log.warning("alerts: cannot LISTEN for new alerts; polling instead", exc_info=True)
            listener = None
        if listener is None:
            self.stop.wait(timeout)
            return
        try:
            for _notify in listener.notifies(timeout=timeout, stop_after=1):
                pass
        except Exception:
            log.warning("alerts: lost the LISTEN connection; it will be reopened", exc_info=True)
            self.close()
            self.stop.wait(min(timeout, 1.0))

    def close(self) -> None:
        if self.listener is not None:
            try:
                self.listener.close()
            except Exception:  # noqa: S110 — closing a broken connection may fail; nothing to do
                pass
            self.listener = None
