"""What the background worker records about itself."""

from django.db import models
from django.utils import timezone


class WorkerHeartbeat(models.Model):
    """One row per running worker process, refreshed every few seconds by its own thread (heartbeat.py);
    removed when it stops cleanly."""

    name = models.CharField(max_length=200, unique=True)  # host:pid
    started_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(default=timezone.now)
    jobs_run = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return self.name


class SchedulerLease(models.Model):
    """Which worker runs the periodic jobs, until when, and when each job last ran (scheduler.py).

    One row. The holder renews `expires_at` while it runs; once it has passed, any worker may take over.
    """

    name = models.CharField(max_length=50, unique=True)
    holder = models.CharField(max_length=200, blank=True)  # host:pid, empty when handed over
    expires_at = models.DateTimeField()
    last_runs = models.JSONField(default=dict)  # job (module.function): ISO time it last ran to the end

    def __str__(self) -> str:
        return f"{self.name} held by {self.holder or 'nobody'} until {self.expires_at:%Y-%m-%d %H:%M:%S}"
