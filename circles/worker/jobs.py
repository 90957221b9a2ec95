"""Periodic jobs the worker runs between deliveries (alert delivery itself is circles/alerts/delivery.py).

Each job is a function taking `now` and returning how many things it handled; it must be safe to
run on several workers at once.
"""

import datetime as dt
import logging
from collections.abc import Callable

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.contrib.sessions.models import Session
from django.utils import timezone

from circles.alerts import delivery, rules
from circles.audit import checkpoint

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


def check_alert_rules(now: dt.datetime) -> int:
    """The alert rules that depend on time passing: missed commitments and disengagement."""
    return rules.check_time_rules(now)


def close_answered_alerts(now: dt.datetime) -> int:
    return delivery.close_answered_alerts(now)


# (job, how often it runs)
PERIODIC_JOBS: list[tuple[Callable[[dt.datetime], int], dt.timedelta]] = [
    (purge_expired_sessions, dt.timedelta(minutes=15)),
    (purge_old_login_attempts, dt.timedelta(hours=6)),
    (check_alert_rules, dt.timedelta(minutes=15)),
    (close_answered_alerts, dt.timedelta(minutes=15)),
    (checkpoint.write_audit_checkpoint, dt.timedelta(minutes=settings.AUDIT_CHECKPOINT_MINUTES)),
]


class PeriodicRunner:
    """Remembers when each periodic job last ran in this process."""

    def __init__(self, jobs=None):
        self.jobs = jobs if jobs is not None else PERIODIC_JOBS
        self.last_run: dict[Callable, dt.datetime] = {}

    def run_due(self, now: dt.datetime | None = None) -> int:
        now = now or timezone.now()
        ran = 0
        for job, every in self.jobs:
            last = self.last_run.get(job)
            if last is None or now - last >= every:
                handled = job(now)
                self.last_run[job] = now
                ran += 1
                if handled:
                    log.info("worker: %s handled %d", job.__name__, handled)
        return ran
