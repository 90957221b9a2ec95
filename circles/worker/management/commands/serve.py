"""`make run`: the web server and the background worker together. Ctrl-C stops both."""

import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from circles.demo.personas import PERSONAS


class Command(BaseCommand):
    help = "Serves Circles on 127.0.0.1:$PORT (default 8000) with its background worker."

    def add_arguments(self, parser):
        parser.add_argument("--port", default=os.environ.get("PORT", "8000"))

    def handle(self, *args, port, **options):
        if settings.PRODUCTION:
            raise CommandError("`serve` is for development; run gunicorn and run_worker in production.")
        manage = [sys.executable, os.path.join(settings.BASE_DIR, "manage.py")]
        url = f"http://127.0.0.1:{port}/"
        # Links in alert emails and texts point at this server unless SITE_URL says otherwise.
        env = {**os.environ, "SITE_URL": os.environ.get("SITE_URL") or url}
        worker = subprocess.Popen([*manage, "run_worker"], env=env)  # noqa: S603 — our own command line
        web = subprocess.Popen([*manage, "runserver", "--noreload", f"127.0.0.1:{port}"], env=env)  # noqa: S603
        self.stdout.write(self.style.SUCCESS(f"\nCircles is running at {url}"))
        self.stdout.write(f"Background worker: process {worker.pid} (it sends alerts and emails).")
        self.stdout.write(f"Demo logins (password: {settings.CIRCLES_DEMO_PASSWORD}):")
        for persona in PERSONAS:
            self.stdout.write(f"  {persona.email:<26} {persona.description}")
        self.stdout.write(
            "Emails (sign-up confirmation links, password resets, invitations, alerts to the crisis\n"
            "ladder, account notices) and text messages are printed here. Try it: log in as riley, press\n"
            "“I need help now”, then “Yes, ask them now”; Sam's email with the answer link appears below.\n"
            "Press Ctrl-C to stop.\n"
        )

        stopping = False

        def stop(*_):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        worker_reported = False
        try:
            while not stopping and web.poll() is None:
                if worker.poll() is not None and not worker_reported:
                    # The web server stays up, as in production when every worker is down: the pages
                    # and the crisis resources still work, /healthz answers 503, and after
                    # ALERT_DELAYED_SECONDS a member's alert page says sending is delayed.
                    worker_reported = True
                    self.stderr.write(
                        f"\nThe background worker stopped (exit code {worker.returncode}): alerts and emails "
                        "wait, saved, until a worker runs again.\nStart one in another terminal with:\n"
                        f"  SITE_URL={env['SITE_URL']} {' '.join(manage)} run_worker\n"
                    )
                time.sleep(0.2)
        finally:
            for process in (web, worker):
                if process.poll() is None:
                    process.terminate()
            for process in (web, worker):
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
            self.stdout.write("Circles stopped.")
        if not stopping:
            raise CommandError("The web server exited unexpectedly; see the messages above.")
