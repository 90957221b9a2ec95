"""`manage.py check` (run at every start): worker settings that would let the scheduler lease lapse."""

from django.conf import settings
from django.core import checks


@checks.register()
def check_scheduler_lease(app_configs, **kwargs):
    """The scheduler renews its lease every WORKER_POLL_SECONDS: it must outlast a few of those."""
    if settings.SCHEDULER_LEASE_SECONDS < 3 * settings.WORKER_POLL_SECONDS:
        return [
            checks.Error(
                f"SCHEDULER_LEASE_SECONDS ({settings.SCHEDULER_LEASE_SECONDS}) is less than three times "
                f"WORKER_POLL_SECONDS ({settings.WORKER_POLL_SECONDS:g}): the worker running the periodic "
                "jobs would lose its lease between renewals, and several would run them at once.",
                hint="Keep SCHEDULER_LEASE_SECONDS at 60 (the default) or at least 3 × WORKER_POLL_SECONDS.",
                id="circles.E150",
            )
        ]
    return []
