"""The background worker: its jobs, run synchronously, and its life cycle."""

import datetime as dt
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.utils import timezone

from circles.worker import jobs
from circles.worker.models import WorkerHeartbeat

ROOT = Path(settings.BASE_DIR)


def test_expired_sessions_are_purged(db):
    for minutes in (-5, 30):
        store = SessionStore()
        store.set_expiry(timezone.now() + dt.timedelta(minutes=minutes))
        store["x"] = 1
        store.save()
    assert jobs.purge_expired_sessions(timezone.now()) == 1
    assert Session.objects.count() == 1


def test_old_login_attempts_are_purged(db):
    from axes.models import AccessAttempt

    old = AccessAttempt.objects.create(
        username="a@example.org", ip_address="192.0.2.1", failures_since_start=1
    )
    AccessAttempt.objects.filter(pk=old.pk).update(attempt_time=timezone.now() - dt.timedelta(days=31))
    AccessAttempt.objects.create(username="b@example.org", ip_address="192.0.2.2", failures_since_start=1)
    assert jobs.purge_old_login_attempts(timezone.now()) == 1
    assert AccessAttempt.objects.count() == 1


def test_schedule_runs_each_job_when_due():
    calls = []
    runner = jobs.PeriodicRunner([(lambda now: calls.append(now) or 0, dt.timedelta(minutes=10))])
    start = timezone.now()
    assert runner.run_due(start) == 1
    assert runner.run_due(start + dt.timedelta(minutes=5)) == 0
    assert runner.run_due(start + dt.timedelta(minutes=10)) == 1
    assert len(calls) == 2


def test_run_worker_once_leaves_no_heartbeat(db):
    call_command("run_worker", "--once")
    assert not WorkerHeartbeat.objects.exists()


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_serve_starts_web_and_worker_and_ctrl_c_stops_both(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(SQLITE_PATH=str(tmp_path / "serve.sqlite3"), WORKER_POLL_SECONDS="0.2")
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True, timeout=120
    )  # noqa: S603
    port = free_port()
    process = subprocess.Popen(  # noqa: S603
        [sys.executable, "manage.py", "serve", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        health = None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:  # noqa: S310
                    health = response.read().decode()
                if '"workers": 1' in health:
                    break
            except OSError:
                pass
            time.sleep(0.2)
        assert health and '"workers": 1' in health, health
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, output
    assert f"Circles is running at http://127.0.0.1:{port}/" in output
    assert "riley@example.org" in output
    assert "stopped" in output and "Circles stopped." in output
