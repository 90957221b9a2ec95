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

One bad destination cannot hold the others up. Urgent notifications (every one of an SOS or a safety
alert) are claimed before the rest. `run_worker` sends on ALERT_SEND_THREADS threads (`SendPool`), at
most ALERT_SEND_PER_HOST at a time to one webhook host, ALERT_SEND_PER_PROVIDER to the mail server or
the SMS provider, and ALERT_SEND_PER_MEMBER for one member's alerts; the main thread keeps claiming
while threads are free, so a slow send holds its own thread and nothing else. Every send has one
deadline (channels.py). A destination that keeps failing (for a webhook, its one address) is blocked
for a while (`Destination`) and its rows wait unclaimed. A worker never claims a row it is still
sending, and a send thread that dies is replaced. Inside a test's transaction the worker sends one
after another, on its own thread, as it always did.
"""

from __future__ import annotations

import datetime as dt
import logging
import queue
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from circles.alerts import channels, logic
from circles.alerts.models import (
    Alert,
    AlertStatus,
    DeliveryAttempt,
    Destination,
    EscalationTimer,
    Notification,
    NotificationStatus,
    SkipReason,
    endpoint_of,
)
from circles.alerts.outbox import WAKE_CHANNEL, ask_rung, wake_workers
from circles.lib.repeating import RepeatingThread
from circles.sharing.logic import ALERTS
from circles.sharing.models import Consent

log = logging.getLogger(__name__)

BATCH = 5  # sending one after another: small, so that the sends of one claim finish well inside its lease
CANDIDATES_PER_SLOT = 4  # rows read per free thread, so rows over a cap do not crowd out the others
ROUND_SECONDS = 1.0  # the longest one call of work_due keeps the pool fed before run_worker's loop goes on
FINISH_POLL_SECONDS = 0.1  # while rows wait for a free thread, how often to look for new ones meanwhile


def lease() -> dt.timedelta:
    return dt.timedelta(seconds=settings.ALERT_LEASE_SECONDS)


def in_flight_limit() -> float:
    """Seconds one send keeps its lease renewed. A send still going after that is taken to be stuck:
    its lease runs out and the next claim sends it again (the duplicate the docs warn of). Each channel
    holds one deadline for its whole send: email, a webhook or text message, a push to every device."""
    slowest = max(settings.EMAIL_TIMEOUT, settings.ALERT_HTTP_TIMEOUT, settings.PUSH_TIMEOUT)
    return 2 * slowest + settings.ALERT_LEASE_SECONDS


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
    It also owns the worker's send threads (`pool()`): started the first time `work_due` needs them,
    stopped with it.
    """

    def __init__(self, worker: str) -> None:
        self.worker = worker
        self.running = False
        self._lock = threading.Lock()
        # (id, attempt number): monotonic time to stop. Keyed by the attempt too, so a row sent again
        # (a claim after its lease ran out) never overwrites, nor ends, the renewal of the earlier send.
        self._in_flight: dict[tuple[int, int], float] = {}
        self._pool: SendPool | None = None
        self._thread = RepeatingThread(
            "alerts-lease-keeper", every=lambda: settings.ALERT_LEASE_SECONDS / 3, work=self.renew
        )

    def start(self) -> None:
        self._thread.start()
        self.running = True

    def stop(self) -> None:
        """Lets the sends in flight finish (each has its deadline), then stops renewing."""
        if self._pool is not None:
            self._pool.stop(timeout=in_flight_limit())
            self._pool = None
        self.running = False
        self._thread.stop()

    def pool(self) -> SendPool:
        """The worker's send threads, started the first time they are needed."""
        if self._pool is None:
            self._pool = SendPool(self.worker, self, settings.ALERT_SEND_THREADS)
            self._pool.start()
        return self._pool

    @contextmanager
    def sending(self, notification: Notification) -> Iterator[None]:
        with self._lock:
            self._in_flight[(notification.pk, notification.attempts)] = time.monotonic() + in_flight_limit()
        try:
            yield
        finally:
            # Taking the lock waits for a renewal under way, so none lands after the outcome (a retry
            # time, say) is recorded.
            with self._lock:
                self._in_flight.pop((notification.pk, notification.attempts), None)

    def renew(self) -> int:
        """Moves the lease of every row in flight a full lease ahead; returns how many it renewed."""
        with self._lock:
            now_monotonic = time.monotonic()
            rows = [key for key, stop_at in self._in_flight.items() if stop_at > now_monotonic]
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


def send_cap(destination: str) -> int:
    """How many sends to one destination a worker runs at once."""
    if destination.startswith("webhook "):
        return settings.ALERT_SEND_PER_HOST
    return settings.ALERT_SEND_PER_PROVIDER


@dataclass
class Room:
    """How many more sends a worker can start: free threads, and what is in flight per destination and
    per member (so that one slow host or one member's ladder cannot take every thread)."""

    slots: int
    destinations: Counter[str] = field(default_factory=Counter)
    members: Counter[int] = field(default_factory=Counter)
    finishes: int = 0  # the pool's count of finished sends when this was taken
    # Rows this worker is sending: never claimed again by it, even once their lease has run out (a send
    # past in_flight_limit()), so one worker never sends one row on two threads at once.
    sending: frozenset[int] = frozenset()

    def full_destinations(self) -> list[str]:
        return sorted(key for key, n in self.destinations.items() if n >= send_cap(key))

    def full_members(self) -> list[int]:
        return sorted(key for key, n in self.members.items() if n >= settings.ALERT_SEND_PER_MEMBER)

    def take(self, destination: str, member_id: int) -> bool:
        """Makes room for one more send, if there is room for it."""
        if self.slots <= 0 or self.members[member_id] >= settings.ALERT_SEND_PER_MEMBER:
            return False
        if destination and self.destinations[destination] >= send_cap(destination):
            return False
        self.slots -= 1
        self.members[member_id] += 1
        if destination:
            self.destinations[destination] += 1
        return True


def claimable(now: dt.datetime, room: Room | None = None):
    """Due notifications whose destination, webhook address or push recipient is not backed off, nor
    (with `room`) at its cap or its member's, nor being sent by this worker already."""
    blocked = Destination.objects.filter(blocked_until__gt=now)
    rows = Notification.objects.due(now).exclude(destination__in=blocked.values("key"))
    # A webhook is backed off per address, whose key is a digest (endpoint_of): find the addresses of
    # due rows that match one. A read only while some webhook address is blocked, which is rare.
    if blocked_hooks := set(blocked.filter(key__startswith="webhook ").values_list("key", flat=True)):
        due_hooks = rows.filter(channel=logic.WEBHOOK).values_list("address", flat=True).distinct()
        addresses = [a for a in due_hooks if endpoint_of(logic.WEBHOOK, a) in blocked_hooks]
        if addresses:
            rows = rows.exclude(channel=logic.WEBHOOK, address__in=addresses)
    # A push is backed off per recipient, whose key is "push <account number>" and whose rows' address
    # is that number: no read needed to match them.
    push_prefix = endpoint_of(logic.PUSH, "")  # "push "
    if blocked_pushes := list(blocked.filter(key__startswith=push_prefix).values_list("key", flat=True)):
        recipients = [key.removeprefix(push_prefix) for key in blocked_pushes]
        rows = rows.exclude(channel=logic.PUSH, address__in=recipients)
    if room is not None:
        if room.sending:
            rows = rows.exclude(id__in=room.sending)
        if full := room.full_destinations():
            rows = rows.exclude(destination__in=full)
        if full_members := room.full_members():
            rows = rows.exclude(alert__member_id__in=full_members)
    return rows


def claim_notifications(worker: str, now: dt.datetime, room: Room | None = None) -> list[Notification]:
    """Due notifications, urgent first, now leased to this worker, each with an attempt row started.

    `room` says how many to take and what is in flight already (by default BATCH, nothing in flight);
    rows that would go over a cap are left for later, or for another worker.
    """
    room = room if room is not None else Room(BATCH)
    if room.slots <= 0:
        return []
    with transaction.atomic():
        # A row whose every attempt ended with its worker dying (a send that crashes or hangs it) is
        # not claimed again and again for ever: it is dead, shown as such, and stops delaying others.
        Notification.objects.due(now).filter(attempts__gte=settings.ALERT_MAX_ATTEMPTS).update(
            status=NotificationStatus.DEAD, last_error="the worker stopped during every attempt"
        )
        candidates = claimable(now, room).order_by("priority", "due_at", "id")
        if connection.features.has_select_for_update_skip_locked:
            candidates = candidates.select_for_update(skip_locked=True, of=("self",))
        rows = candidates.values_list("id", "destination", "alert__member_id")
        ids = [
            pk
            for pk, destination, member_id in rows[: room.slots * CANDIDATES_PER_SLOT]
            if room.take(destination, member_id)
        ]
        if not ids:
            return []
        Notification.objects.filter(id__in=ids).update(
            due_at=now + lease(), claimed_by=worker, attempts=F("attempts") + 1
        )
        claimed = list(
            Notification.objects.filter(id__in=ids)
            .select_related("alert__member", "recipient")
            .order_by("priority", "due_at", "id")
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
    endpoint = endpoint_of(notification.channel, notification.address)
    with transaction.atomic():
        row = Notification.objects.select_for_update().filter(pk=notification.pk).first()
        if row is None:  # the member erased their account meanwhile
            return NotificationStatus.CANCELLED
        attempt = DeliveryAttempt.objects.filter(notification=row, number=notification.attempts).last()
        if row.claimed_by != worker or row.attempts != notification.attempts:
            # Claimed again since (this send outlasted its lease): that claim records the outcome, so
            # this one finishes only its own attempt row and never overwrites the later attempt's.
            if not withdrawn:
                _note_destination(endpoint, error, now)
            if attempt is not None:
                attempt.finished_at, attempt.ok = now, error is None and not withdrawn
                attempt.error = str(error)[:500] if error else "sent; claimed again meanwhile"
                attempt.save(update_fields=["finished_at", "ok", "error"])
            return NotificationStatus.PENDING
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
        if not withdrawn:
            _note_destination(endpoint, error, now)
        if attempt is not None:
            attempt.finished_at = now
            attempt.ok = error is None and not withdrawn
            attempt.error = row.last_error if error else ("consent withdrawn" if withdrawn else "")
            attempt.next_attempt_at = retry_at
            attempt.save(update_fields=["finished_at", "ok", "error", "next_attempt_at"])
    if error is not None:
        log.warning("alerts: notification %s attempt %s failed: %s", row.pk, row.attempts, error)
    return row.status


def _note_destination(key: str, error: channels.DeliveryFailed | None, now: dt.datetime) -> None:
    """A success clears a destination's failures; its fault once too often in a row blocks it a while.

    A circuit breaker: after ALERT_DESTINATION_FAILURES failures in a row it is blocked; when the block
    is over, the next failure (a destination that is still failing) blocks it again at once, each
    block longer, like a message's retries (`logic.backoff_seconds`, up to
    ALERT_DESTINATION_BLOCK_CAP_SECONDS). Failures of sends that were already in flight when it was
    blocked do not make the block longer. A failure that is the message's own (a refused address, a
    4xx) neither counts nor clears.
    """
    if not key:
        return
    if error is None:
        # Matches no row while the destination is well, so a success costs one UPDATE of nothing.
        Destination.objects.filter(key=key, failures__gt=0).update(
            failures=0, blocks=0, blocked_until=None, last_error="", changed_at=now
        )
        return
    if not error.destination_trouble:
        return
    destination, _created = Destination.objects.select_for_update().get_or_create(key=key)
    destination.failures += 1
    destination.last_error = str(error)[:500]
    destination.changed_at = now
    blocked = destination.blocked_until is not None and destination.blocked_until > now
    if not blocked and destination.failures >= settings.ALERT_DESTINATION_FAILURES:
        destination.blocks += 1
        wait = logic.backoff_seconds(
            destination.blocks,
            base=settings.ALERT_RETRY_BASE_SECONDS,
            cap=settings.ALERT_DESTINATION_BLOCK_CAP_SECONDS,
        )
        destination.blocked_until = now + dt.timedelta(seconds=wait)
        log.warning(
            "alerts: %s failed %s times in a row; not trying it again for %.1f s",
            key,
            destination.failures,
            wait,
        )
    destination.save()


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

    def add(self, other: Round) -> None:
        self.sent += other.sent
        self.failed += other.failed
        self.timers += other.timers

    def count(self, status: str) -> None:
        if status == NotificationStatus.SENT:
            self.sent += 1
        else:
            self.failed += 1


class SendPool:
    """The worker's send threads: ALERT_SEND_THREADS of them, each with its own database connection.

    The main thread claims (`room()` says how much it may) and `submit`s; a thread sends and records the
    outcome with `deliver_one`, then takes the next. `collect()` counts what finished since it was last
    called. Started the first time it is needed, stopped by `LeaseKeeper.stop()`, letting the sends in
    flight finish first. A thread that dies (an error that escapes even `_run`'s handlers) is replaced
    the next time the worker asks for `room()`, and the send it held frees its slot.
    """

    def __init__(self, worker: str, keeper: LeaseKeeper, size: int) -> None:
        self.worker, self.keeper, self.size = worker, keeper, size
        self._queue: queue.SimpleQueue[Notification | None] = queue.SimpleQueue()
        self._changed = threading.Condition()
        self._in_flight: dict[tuple[int, int], tuple[str, int]] = {}  # (id, attempt): (destination, member)
        self._finished = Round()
        self._finishes = 0  # sends finished since the start, to tell whether one finished meanwhile
        self._wanted = False  # due rows wait for one of these sends to finish: wake the worker then
        self._threads: list[threading.Thread] = []
        self._started = 0  # threads started since the start, to name them
        self._stopping = False

    def start(self) -> None:
        for _number in range(self.size):
            self._start_a_thread()

    def _start_a_thread(self) -> None:
        self._started += 1
        thread = threading.Thread(target=self._run, name=f"alerts-send-{self._started}", daemon=True)
        thread.start()
        self._threads.append(thread)

    def _replace_dead_threads(self) -> None:
        """Starts a thread for each one that died, so the pool keeps its size (called holding the lock)."""
        if self._stopping:
            return
        alive = [thread for thread in self._threads if thread.is_alive()]
        for dead in set(self._threads) - set(alive):
            log.error("alerts: send thread %s stopped unexpectedly; starting another", dead.name)
        self._threads = alive
        while len(self._threads) < self.size:
            self._start_a_thread()

    def stop(self, timeout: float) -> None:
        with self._changed:
            self._stopping = True
        for _thread in self._threads:
            self._queue.put(None)
        give_up_at = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, give_up_at - time.monotonic()))
        self._threads = []

    @property
    def in_flight(self) -> int:
        with self._changed:
            return len(self._in_flight)

    def room(self) -> Room:
        with self._changed:
            self._replace_dead_threads()
            sending = frozenset(pk for pk, _attempt in self._in_flight)
            room = Room(self.size - len(self._in_flight), finishes=self._finishes, sending=sending)
            for destination, member_id in self._in_flight.values():
                room.members[member_id] += 1
                if destination:
                    room.destinations[destination] += 1
            return room

    def submit(self, notification: Notification) -> None:
        with self._changed:
            key = (notification.pk, notification.attempts)
            self._in_flight[key] = (notification.destination, notification.alert.member_id)
        self._queue.put(notification)

    def collect(self) -> Round:
        with self._changed:
            finished, self._finished = self._finished, Round()
            return finished

    def wake_on_a_finish(self, room: Room) -> bool:
        """Asks the next send to finish to wake the worker (NOTIFY); False if one finished since `room`."""
        with self._changed:
            if self._finishes != room.finishes:
                return False
            self._wanted = True
            return True

    def wait_for_a_finish(self, timeout: float) -> None:
        with self._changed:
            if self._finished.handled == 0:
                self._changed.wait(timeout)

    def _run(self) -> None:
        try:
            while (notification := self._queue.get()) is not None:
                status: str = NotificationStatus.PENDING
                try:
                    connection.close_if_unusable_or_obsolete()  # the database may have gone away meanwhile
                    status = deliver_one(notification, self.worker, self.keeper)
                except DatabaseError as error:  # the database went away: the lease runs out, then a retry
                    log.warning("alerts: notification %s left for a retry: %s", notification.pk, error)
                    connection.close()
                except Exception:
                    log.exception("alerts: unexpected error sending notification %s", notification.pk)
                    connection.close()
                finally:
                    # Runs even when the thread dies of an error nothing above catches: the slot is freed.
                    with self._changed:
                        self._in_flight.pop((notification.pk, notification.attempts), None)
                        self._finished.count(status)
                        self._finishes += 1
                        wake, self._wanted = self._wanted, False
                        self._changed.notify_all()
                    if wake:
                        self._wake_the_worker()
        finally:
            connection.close()  # this thread's own connection

    def _wake_the_worker(self) -> None:
        try:
            wake_workers()  # PostgreSQL's NOTIFY, which the worker's Waker listens for
        except DatabaseError:
            connection.close()  # it looks again within a second all the same


def _send_pool(keeper: LeaseKeeper | None) -> SendPool | None:
    """The running worker's pool; None inside a test's transaction (which other threads cannot see) or
    without a started keeper, where sends go one after another on the calling thread."""
    if keeper is None or not keeper.running or connection.in_atomic_block:
        return None
    return keeper.pool()


def work_due(worker: str, *, max_rows: int = 200, keeper: LeaseKeeper | None = None) -> Round:
    """Handles what is due now: escalation timers first, then notifications, urgent first, up to `max_rows`.

    `keeper` (run_worker starts one) renews each send's lease while it is in flight, and runs the sends
    on its pool of threads; this call then keeps the pool fed for up to ROUND_SECONDS and returns what
    finished meanwhile (sends still in flight are counted by a later call).
    """
    pool = _send_pool(keeper)
    if pool is None:
        return _work_due_one_by_one(worker, max_rows, keeper)
    done = Round()
    give_up_at = time.monotonic() + ROUND_SECONDS
    while done.handled < max_rows and time.monotonic() < give_up_at:
        done.add(pool.collect())
        now = timezone.now()
        room = pool.room()
        if not anything_due(now, room):  # nothing this worker could take now
            if pool.in_flight and anything_due(now):
                # Due rows wait for a send to their destination or member to finish. On PostgreSQL the
                # worker waits for NOTIFY, which new rows send, and so does the next send to finish;
                # on SQLite it looks again shortly.
                if connection.vendor != "postgresql":
                    pool.wait_for_a_finish(FINISH_POLL_SECONDS)
                    continue
                if not pool.wake_on_a_finish(room):
                    continue  # one finished meanwhile: look again now
            break
        timer_ids = claim_timers(worker, now)
        for timer_id in timer_ids:
            fire_timer(timer_id)
            done.timers += 1
        claimed = claim_notifications(worker, now, room) if room.slots else []
        for notification in claimed:
            pool.submit(notification)
        if timer_ids or claimed:
            continue
        if not pool.in_flight:
            break  # due, but held by another worker's claim (or locked by it): nothing here to wait for
        pool.wait_for_a_finish(FINISH_POLL_SECONDS)  # a thread or a cap frees up, or new rows come
    done.add(pool.collect())
    return done


def _work_due_one_by_one(worker: str, max_rows: int, keeper: LeaseKeeper | None) -> Round:
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
            done.count(deliver_one(notification, worker, keeper))
        if not timer_ids and not claimed:
            break
    return done


def anything_due(now: dt.datetime, room: Room | None = None) -> bool:
    """A cheap read, so an idle worker on SQLite polls without taking the write lock.

    With `room`, only notifications this worker could take now count.
    """
    return (
        claimable(now, room).exists()
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
