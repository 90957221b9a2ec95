"""The background worker: `python manage.py run_worker`. Stops cleanly on SIGTERM or Ctrl-C."""

import os
import signal
import socket
import threading

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import close_old_connections, connection
from django.utils import timezone

from circles.worker.jobs import PeriodicRunner
from circles.worker.models import WorkerHeartbeat


class Command(BaseCommand):
    help = "Runs the background worker until it receives SIGTERM or SIGINT."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Run the due jobs once and exit (for tests).")

    def handle(self, *args, once=False, **options):
        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
        name = f"{socket.gethostname()}:{os.getpid()}"
        runner = PeriodicRunner()
        heartbeat, _ = WorkerHeartbeat.objects.update_or_create(
            name=name, defaults={"started_at": timezone.now(), "last_seen_at": timezone.now()}
        )
        self.stdout.write(f"worker {name} started")
        try:
            while not stop.is_set():
                if not connection.in_atomic_block:  # (tests run the worker inside a transaction)
                    close_old_connections()  # reconnect if the database went away between loops
                ran = runner.run_due()
                WorkerHeartbeat.objects.filter(pk=heartbeat.pk).update(
                    last_seen_at=timezone.now(), jobs_run=heartbeat.jobs_run + ran
                )
                heartbeat.jobs_run += ran
                if once:
                    break
                stop.wait(settings.WORKER_POLL_SECONDS)
        finally:
            WorkerHeartbeat.objects.filter(pk=heartbeat.pk).delete()
            self.stdout.write(f"worker {name} stopped")
