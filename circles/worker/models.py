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
