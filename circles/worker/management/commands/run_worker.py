"""The background worker: `python manage.py run_worker`. Stops cleanly on SIGTERM or Ctrl-C.

Each loop delivers the alert notifications and escalation timers that are due (circles/alerts/
delivery.py) and the account emails waiting (address confirmation, password reset: circles/accounts/
outbox.py), then waits for new work: PostgreSQL wakes it at once with NOTIFY; on SQLite it looks
again after ALERT_POLL_SECONDS. The periodic jobs run beside it, in the scheduler's own thread, on
whichever worker holds the scheduler lease (circles/worker/scheduler.py), so sending never waits for
them; audit checkpoints are written by every worker, in a thread of its own (`OwnJobs`). Any number of
workers can run against PostgreSQL; on SQLite run one.

With --once, one round of delivery and account emails runs in this thread, then the worker's own jobs
(an audit checkpoint) and the periodic jobs that are due, and it exits; the periodic jobs only if no
other worker holds the scheduler lease (it says so when one does).

On SIGTERM the scheduler, the send threads and the other threads are all asked to stop at once and
waited for together, so the stop takes as long as the slowest of them, not their sum: the sends in
flight, each within its own deadline (docs/deploy.md, section 4, says what stop timeout to give).
"""

import logging
import os
import signal
import socket
import threading

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import DatabaseError, close_old_connections, connection
from django.utils import timezone

from circles.accounts.outbox import send_pending_account_emails
from circles.alerts import delivery
from circles.worker.heartbeat import HeartbeatWriter
from circles.worker.models import WorkerHeartbeat
from circles.worker.scheduler import OwnJobs, Scheduler

log = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 5.0
MAX_OUTAGE_WAIT = 5.0  # the longest pause between reconnection attempts while the database is away


class Command(BaseCommand):
    help = "Runs the background worker until it receives SIGTERM or SIGINT."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Run the due work once and exit (for tests).")

    def handle(self, *args, once=False, **options):
        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
        name = f"{socket.gethostname()}:{os.getpid()}"
        waker = delivery.Waker(stop)
        keeper = delivery.LeaseKeeper(name)  # renews the lease of each send while it is in flight
        WorkerHeartbeat.objects.update_or_create(
            name=name, defaults={"started_at": timezone.now(), "last_seen_at": timezone.now()}
        )
        heartbeat = HeartbeatWriter(name, HEARTBEAT_SECONDS)
        scheduler = Scheduler(name, count=heartbeat.count)
        own_jobs = OwnJobs(count=heartbeat.count)
        threads = not connection.in_atomic_block  # tests run the worker inside a transaction, without them
        if threads:
            keeper.start()
            heartbeat.start()
        if threads and not once:
            scheduler.start()
            own_jobs.start()
        self.stdout.write(f"worker {name} started")
        self.stdout.flush()
        outage_wait = 0.5
        try:
            while not stop.is_set():
                in_test_transaction = connection.in_atomic_block  # tests run the worker inside one
                try:
                    if not in_test_transaction:
                        close_old_connections()  # reconnect if the database went away between loops
                    done = delivery.work_due(name, keeper=keeper)
                    emailed = send_pending_account_emails()  # people wait for these: never behind a job
                    if not threads or once:
                        own_jobs.run_due()
                        scheduler.run_due()
                        if once and not scheduler.holding:
                            self.stdout.write(
                                "periodic jobs not run: another worker holds the scheduler lease"
                            )
                    heartbeat.count(emailed + done.handled)
                    if not threads or once:
                        heartbeat.beat()
                    outage_wait = 0.5
                except DatabaseError:
                    if in_test_transaction or once:
                        raise
                    first = outage_wait == 0.5  # the whole traceback once per outage, then one line
                    log.warning(
                        "worker: database unavailable; retrying in %.1fs", outage_wait, exc_info=first
                    )
                    connection.close()  # the next loop opens a fresh connection
                    waker.close()
                    stop.wait(outage_wait)
                    outage_wait = min(outage_wait * 2, MAX_OUTAGE_WAIT)
                    continue
                if once:
                    break
                if done.handled:
                    continue  # more may have fallen due while sending
                if connection.vendor == "postgresql":
                    waker.wait(min(1.0, settings.WORKER_POLL_SECONDS))
                else:
                    stop.wait(settings.ALERT_POLL_SECONDS)
        finally:
            # Everything is asked to stop at once and waited for together: one after another, the
            # waits (the chunk in progress, the sends in flight, each thread's join) would add up past
            # the stop timeout of a process manager, which then kills the worker mid-send.
            scheduler.request_stop()
            stopping = [
                threading.Thread(target=stop, name=f"worker-stop-{number}", daemon=True)
                for number, stop in enumerate((keeper.stop, heartbeat.stop, own_jobs.stop))
            ]
            for thread in stopping:
                thread.start()
            scheduler.stop()  # in this thread: it hands the lease over on this thread's connection
            for thread in stopping:
                thread.join()
            waker.close()
            try:
                WorkerHeartbeat.objects.filter(name=name).delete()
            except DatabaseError:
                pass  # stopping while the database is away: the row goes stale and the health check says so
            self.stdout.write(f"worker {name} stopped")
