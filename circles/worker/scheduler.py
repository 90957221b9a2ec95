"""The periodic jobs, run by one worker at a time across all machines, beside delivery.

Whichever worker holds the scheduler lease (one `SchedulerLease` row: holder and expiry) runs the
jobs of circles/worker/jobs.py when they are due, in a thread of its own, so sending never waits for
a pass of the time rules. It renews the lease each time it looks (every WORKER_POLL_SECONDS), before
each job and between the chunks of a long one. A worker that dies stops renewing, and once the lease
has run out (SCHEDULER_LEASE_SECONDS) the next worker to look takes it; a worker that stops cleanly
hands it over at once. When each job last ran is kept on the same row, so a new scheduler carries on
where the last one stopped instead of running everything at once. A conditional UPDATE decides who
holds the lease, the same on SQLite (where the one worker is the scheduler) and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable

from django.conf import settings
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from circles.lib.repeating import RepeatingThread
from circles.worker.jobs import EVERY_WORKER_JOBS, OUTAGE, Job, PeriodicRunner
from circles.worker.models import SchedulerLease

log = logging.getLogger(__name__)

LEASE_NAME = "periodic-jobs"


def lease() -> dt.timedelta:
    return dt.timedelta(seconds=settings.SCHEDULER_LEASE_SECONDS)


class Scheduler:
    """Runs the periodic jobs while this worker holds the scheduler lease.

    `run_due()` does one round in the caller's thread (`run_worker --once`, tests); `start()` runs
    rounds in a thread of its own until `stop()`.
    """

    def __init__(
        self,
        holder: str,
        jobs: list[tuple[Job, dt.timedelta]] | None = None,
        *,
        count: Callable[[int], object] = lambda jobs: None,
    ) -> None:
        self.holder = holder
        self.count = count  # told of each job run (the heartbeat counts them)
        self.holding = False
        self._stopping = threading.Event()
        self.runner = PeriodicRunner(jobs, keep_going=self._keep_going, on_ran=self._record)
        self._outage = False
        self._thread = RepeatingThread(
            "worker-scheduler", every=lambda: settings.WORKER_POLL_SECONDS, work=self._look
        )

    def run_due(self, now: dt.datetime | None = None) -> int:
        """Runs the jobs that are due if this worker holds (or can take) the lease; returns how many ran."""
        if not self.take_lease(now):
            return 0
        return self.runner.run_due(now)

    def _look(self) -> None:
        """One look from the thread, none once asked to stop. While the database is away: the whole
        traceback once, then a line each time, and a fresh connection next time (as the delivery loop
        does). A job's own error, even a query's (IntegrityError, DataError), is the runner's to log: it
        never stops the jobs after it."""
        if self._stopping.is_set():
            return
        try:
            self.run_due()
            self._outage = False
        except OUTAGE:
            log.warning("scheduler: the database did not answer; trying again", exc_info=not self._outage)
            self._outage = True
            connection.close()
        except Exception:  # a bug here must not end the thread: the jobs would never run again
            log.exception("scheduler: the look for due jobs failed; trying again")

    def take_lease(self, now: dt.datetime | None = None) -> bool:
        """Renews the lease if this worker holds it, takes it if it ran out; True while it is ours.

        Only a lease renewed before it ran out is sure to have been ours all along. Taken (again) after
        that, another worker may have run the jobs meanwhile, so their last runs are read from the row.
        """
        now = now or timezone.now()
        renewed = (
            SchedulerLease.objects.filter(name=LEASE_NAME, holder=self.holder, expires_at__gt=now).update(
                expires_at=now + lease()
            )
            if self.holding
            else 0
        )
        if renewed:
            return True
        taken = (
            SchedulerLease.objects.filter(name=LEASE_NAME)
            .filter(Q(holder=self.holder) | Q(expires_at__lte=now))
            .update(holder=self.holder, expires_at=now + lease())
        )
        if not taken and not SchedulerLease.objects.filter(name=LEASE_NAME).exists():
            try:
                with transaction.atomic():
                    SchedulerLease.objects.create(
                        name=LEASE_NAME, holder=self.holder, expires_at=now + lease()
                    )
                taken = 1
            except IntegrityError:  # another worker made the row a moment earlier: the lease is theirs
                pass
        if taken:
            # Carry on from when the jobs last ran, whoever ran them.
            saved = SchedulerLease.objects.filter(name=LEASE_NAME).values_list("last_runs", flat=True).get()
            self.runner.last_run = {key: dt.datetime.fromisoformat(when) for key, when in saved.items()}
            log.info("scheduler: %s runs the periodic jobs now", self.holder)
        elif self.holding:
            log.warning("scheduler: %s no longer holds the lease; another worker runs the jobs", self.holder)
        self.holding = bool(taken)
        return self.holding

    def _keep_going(self) -> bool:
        return not self._stopping.is_set() and self.take_lease()

    def _record(self, job: Job, when: dt.datetime) -> None:
        """Saves when the job ran on the lease row, unless another worker holds the lease by now."""
        saved = {key: moment.isoformat() for key, moment in self.runner.last_run.items()}
        SchedulerLease.objects.filter(name=LEASE_NAME, holder=self.holder).update(last_runs=saved)
        self.count(1)

    def release(self) -> None:
        """Hands the lease over at once: the next worker to look takes it."""
        if self.holding:
            SchedulerLease.objects.filter(name=LEASE_NAME, holder=self.holder).update(
                holder="", expires_at=timezone.now()
            )
            self.holding = False

    def start(self) -> None:
        self.runner.contain_errors = True  # in its own thread, one broken job must not stop the others
        self._stopping.clear()
        self._thread.start()

    def request_stop(self) -> None:
        """Asks the thread to stop after the chunk in progress, without waiting for it (see `stop`)."""
        self._stopping.set()

    def stop(self) -> None:
        """Stops after the chunk in progress, then hands the lease over."""
        self._stopping.set()
        self._thread.stop()
        try:
            self.release()
        except DatabaseError:
            pass  # the database is away: the lease runs out on its own


class OwnJobs:
    """The jobs every worker runs for itself, lease or not (`EVERY_WORKER_JOBS`: audit checkpoints).

    Like the scheduler, `run_due()` runs them once in the caller's thread (`run_worker --once`, tests)
    and `start()` in a thread of their own, looking every WORKER_POLL_SECONDS: the first time soon after
    the worker starts, then at their intervals. Their last runs are this process's own, never saved.
    """

    def __init__(
        self,
        jobs: list[tuple[Job, dt.timedelta]] | None = None,
        *,
        count: Callable[[int], object] = lambda n: None,
    ) -> None:
        self.runner = PeriodicRunner(
            jobs if jobs is not None else EVERY_WORKER_JOBS, on_ran=lambda job, when: count(1)
        )
        self._thread = RepeatingThread(
            "worker-own-jobs", every=lambda: settings.WORKER_POLL_SECONDS, work=self.runner.run_due
        )

    def run_due(self, now: dt.datetime | None = None) -> int:
        return self.runner.run_due(now)

    def start(self) -> None:
        self.runner.contain_errors = True  # as in the scheduler's thread
        self._thread.start()

    def stop(self) -> None:
        self._thread.stop()
