"""Periodic jobs: those run by the worker that holds the scheduler lease (`PERIODIC_JOBS`,
circles/worker/scheduler.py) and those every worker runs for itself (`EVERY_WORKER_JOBS`), each in a
thread beside delivery (alert delivery itself is circles/alerts/delivery.py).

Each job is a function taking `now` and returning how many things it handled, or, for a long job,
an iterator yielding that chunk by chunk (between chunks the scheduler renews its lease and may stop).
One worker runs them at a time, but each must still be safe to run on two at once: a worker that
stalls past its lease can overlap with the one that took over.
"""

import datetime as dt
import logging
import time
from collections.abc import Callable, Iterator

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import InterfaceError, OperationalError
from django.utils import timezone

from circles.alerts import delivery, rules
from circles.audit import checkpoint
from circles.care.caseload import refresh_caseload_facts
from circles.notices.sending import send_due_reminders

log = logging.getLogger(__name__)

LOGIN_ATTEMPT_RETENTION = dt.timedelta(days=30)


def purge_expired_sessions(now: dt.datetime) -> int:
    """Idle sessions past their expiry hold personal data for nothing: delete them."""
    deleted, _ = Session.objects.filter(expire_date__lt=now).delete()
    return deleted


def purge_old_login_attempts(now: dt.datetime) -> int:
    """Keep failed-login records (email and address) only as long as throttling and review need them."""
    cutoff = now - LOGIN_ATTEMPT_RETENTION
    deleted = 0
    for model, field in (
        (AccessAttempt, "attempt_time"),
        (AccessLog, "attempt_time"),
        (AccessFailureLog, "attempt_time"),
    ):
        count, _ = model.objects.filter(**{f"{field}__lt": cutoff}).delete()
        deleted += count
    return deleted


def check_alert_rules(now: dt.datetime) -> Iterator[int]:
    """The alert rules that depend on time passing (missed commitments, disengagement), in chunks."""
    return rules.time_rules_by_chunk(now)


def close_answered_alerts(now: dt.datetime) -> int:
    return delivery.close_answered_alerts(now)


def send_reminders(now: dt.datetime) -> Iterator[int]:
    """The reminders and notices people opted into that are due now, a chunk of people at a time."""
    return send_due_reminders(now)


Job = Callable[[dt.datetime], int | Iterator[int]]

# The errors that mean the database is away (or the connection broke), not that a job is wrong: they
# end a round, and the job is tried again at the next look. Any other error is the job's own.
OUTAGE = (OperationalError, InterfaceError)

# (job, how often it runs), on the one worker holding the scheduler lease
PERIODIC_JOBS: list[tuple[Job, dt.timedelta]] = [
    (purge_expired_sessions, dt.timedelta(minutes=15)),
    (purge_old_login_attempts, dt.timedelta(hours=6)),
    (check_alert_rules, dt.timedelta(minutes=15)),
    (close_answered_alerts, dt.timedelta(minutes=15)),
    # Every minute, so a reminder set for 20:00 goes at 20:00 (docs/reminders.md).
    (send_reminders, dt.timedelta(minutes=1)),
    # Keeps the caseloads' facts current before a request would have to read them (docs/care.md).
    (refresh_caseload_facts, dt.timedelta(minutes=5)),
]

# (job, how often it runs), on every worker, lease or not: each machine's AUDIT_CHECKPOINT_PATH gets
# checkpoints from its own workers, whichever of them holds the lease (a checkpoint is one query).
EVERY_WORKER_JOBS: list[tuple[Job, dt.timedelta]] = [
    (checkpoint.write_audit_checkpoint, dt.timedelta(minutes=settings.AUDIT_CHECKPOINT_MINUTES)),
]


def job_key(job: Job) -> str:
    """The name a job's last run is saved under."""
    return f"{job.__module__}.{job.__qualname__}"


class PeriodicRunner:
    """Runs each job when its interval has passed since it last ran.

    `last_run` (job key: time) starts empty; the scheduler fills it from its lease row and saves it
    there through `on_ran`. `keep_going()` is asked before each job and between the chunks of a job
    that works in chunks: when it says no, the round ends and the job in progress is not counted as
    run (it runs again in full next time; each chunk it finished is already saved). With
    `contain_errors`, a job that fails is logged with its traceback and waits for its next turn, so one
    broken job does not stop the others, even when what broke is a query (an IntegrityError or a
    DataError on a row it keeps meeting). Only an outage (`OUTAGE`) ends the round: the next round
    starts again at that job.
    """

    def __init__(
        self,
        jobs: list[tuple[Job, dt.timedelta]] | None = None,
        *,
        keep_going: Callable[[], bool] = lambda: True,
        on_ran: Callable[[Job, dt.datetime], object] = lambda job, when: None,
        contain_errors: bool = False,
    ) -> None:
        self.jobs = jobs if jobs is not None else PERIODIC_JOBS
        self.keep_going = keep_going
        self.on_ran = on_ran
        self.contain_errors = contain_errors
        self.last_run: dict[str, dt.datetime] = {}

    def due(self, now: dt.datetime) -> list[Job]:
        return [
            job
            for job, every in self.jobs
            if (last := self.last_run.get(job_key(job))) is None or now - last >= every
        ]

    def run_due(self, now: dt.datetime | None = None) -> int:
        """Runs the jobs that are due; returns how many ran to the end."""
        now = now or timezone.now()
        ran = 0
        for job in self.due(now):
            if not self.keep_going():
                break
            started = time.monotonic()
            try:
                handled = self._run(job, now)
            except OUTAGE:
                raise
            except Exception:
                if not self.contain_errors:
                    raise
                log.exception("worker: %s failed; it is tried again at its next turn", job.__name__)
                handled = 0
            if handled is None:
                break
            self.last_run[job_key(job)] = now
            self.on_ran(job, now)
            ran += 1
            took = time.monotonic() - started
            if handled or took >= 1:
                log.info("worker: %s handled %d in %.1f s", job.__name__, handled, took)
        return ran

    def _run(self, job: Job, now: dt.datetime) -> int | None:
        """How many things the job handled, or None when it was stopped part-way."""
        result = job(now)
        if isinstance(result, int):
            return result
        handled = 0
        try:
            for count in result:
                handled += count
                if not self.keep_going():
                    return None
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()  # a generator left part-way ends now, not whenever it is collected
        return handled
