"""The scheduler: one worker at a time runs the periodic jobs, beside delivery, and hands over cleanly."""

import datetime as dt
import os
import subprocess
import sys
import threading

import pytest
import time_machine
from django.conf import settings as django_settings
from django.core.management import call_command
from django.db import DataError, IntegrityError, OperationalError
from django.utils import timezone

from circles.alerts import logic
from circles.alerts.models import Alert
from circles.audit import checkpoint
from circles.worker import jobs
from circles.worker.models import SchedulerLease
from circles.worker.scheduler import OwnJobs, Scheduler

START = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)
SECOND = dt.timedelta(seconds=1)


class Counted:
    """A periodic job that counts its runs (a real function, so it has a name to be saved under)."""

    def __init__(self):
        self.runs: list[dt.datetime] = []

        def counted_job(now):
            self.runs.append(now)
            return 0

        self.job = counted_job


@pytest.fixture
def counted():
    return Counted()


def two_workers(counted, every=dt.timedelta(minutes=15)):
    schedule = [(counted.job, every)]
    return Scheduler("host-a:1", schedule), Scheduler("host-b:2", schedule)


def at(seconds: float):
    """The clock `seconds` after START, standing still."""
    return time_machine.travel(START + seconds * SECOND, tick=False)


def run_at(scheduler: Scheduler, seconds: float) -> int:
    with at(seconds):
        return scheduler.run_due()


def test_one_worker_at_a_time_runs_the_jobs(db, counted, settings):
    settings.SCHEDULER_LEASE_SECONDS = 60
    a, b = two_workers(counted)
    assert run_at(a, 0) == 1
    assert run_at(b, 0) == 0  # a holds the lease
    assert run_at(b, 59) == 0
    assert run_at(a, 50) == 0  # nothing due, but a renews its lease…
    assert run_at(b, 100) == 0  # …so b still waits
    assert (a.holding, b.holding) == (True, False)
    assert counted.runs == [START]


def test_a_silent_scheduler_is_taken_over_and_the_last_runs_survive(db, counted, settings):
    settings.SCHEDULER_LEASE_SECONDS = 60
    a, b = two_workers(counted)
    run_at(a, 0)
    # a dies: nobody renews. Once the lease has run out b takes over, without running again at once
    # what a ran a minute ago.
    assert run_at(b, 61) == 0
    assert b.holding and SchedulerLease.objects.get().holder == "host-b:2"
    assert run_at(b, 15 * 60) == 1
    assert counted.runs == [START, START + dt.timedelta(minutes=15)]
    assert run_at(a, 15 * 60 + 30) == 0 and not a.holding  # b renewed at 15 minutes


def test_a_worker_that_takes_the_lease_back_carries_on_from_the_other_s_runs(db, counted, settings):
    settings.SCHEDULER_LEASE_SECONDS = 60
    a, b = two_workers(counted)
    run_at(a, 0)
    # a stalls (the database away from it, say) still believing it holds the lease; b takes over,
    # runs the job at 15 minutes and dies.
    assert run_at(b, 61) == 0 and run_at(b, 15 * 60) == 1
    # a takes the lease back once b's has run out: the job ran 70 s ago, not 16 minutes ago.
    assert a.holding and run_at(a, 15 * 60 + 70) == 0 and a.holding
    assert run_at(a, 30 * 60) == 1
    assert counted.runs == [START + dt.timedelta(minutes=minutes) for minutes in (0, 15, 30)]


def test_a_worker_that_stops_hands_over_at_once(db, counted):
    a, b = two_workers(counted)
    run_at(a, 0)
    with at(1):
        a.stop()  # never started: stopping only hands the lease over
    assert run_at(b, 2) == 0 and b.holding
    assert SchedulerLease.objects.get().holder == "host-b:2"


def test_a_long_job_renews_the_lease_between_chunks_and_stops_when_asked(db, settings):
    settings.SCHEDULER_LEASE_SECONDS = 60
    done = []

    def chunked_job(now):
        for chunk in range(5):
            traveller.shift(40)  # each chunk takes 40 s: the whole job far longer than the lease
            done.append(chunk)
            if chunk == 3:
                a._stopping.set()  # SIGTERM arrives during the fourth chunk
            yield 1

    a, b = Scheduler("host-a:1", [(chunked_job, dt.timedelta(minutes=15))]), Scheduler("host-b:2", [])
    with time_machine.travel(START, tick=False) as traveller:
        assert a.run_due() == 0  # stopped part-way: not recorded as run
        assert done == [0, 1, 2, 3]  # the fifth chunk never started
        assert b.run_due() == 0 and not b.holding  # renewed after each chunk, so still a's
    assert SchedulerLease.objects.get().last_runs == {}


def test_a_broken_job_does_not_stop_the_others_in_the_thread(db, counted, caplog):
    def broken_job(now):
        raise ValueError("a bug")

    scheduler = Scheduler("host-a:1", [(broken_job, dt.timedelta(minutes=15)), (counted.job, SECOND)])
    with pytest.raises(ValueError):
        run_at(scheduler, 0)  # run synchronously (run_worker --once, tests), it fails loudly
    scheduler.runner.contain_errors = True  # as start() sets it for the thread
    assert run_at(scheduler, 1) == 2
    assert "broken_job failed" in caplog.text and len(counted.runs) == 1
    assert run_at(scheduler, 2) == 1  # the broken one waits for its next turn


@pytest.mark.parametrize("error", [IntegrityError, DataError])
def test_a_job_that_keeps_failing_on_a_query_does_not_stop_the_jobs_after_it(db, counted, caplog, error):
    """Not an outage: logged with its traceback, counted as run, and the jobs after it run on time."""

    def broken_rules(now):
        raise error("a row this job keeps meeting")

    scheduler = Scheduler(
        "host-a:1", [(broken_rules, dt.timedelta(minutes=15)), (counted.job, dt.timedelta(minutes=15))]
    )
    scheduler.runner.contain_errors = True  # as start() sets it for the thread
    tried = []
    for minute in range(0, 120, 5):  # the thread's looks over two hours
        with at(minute * 60):
            tried.append(scheduler.runner.due(timezone.now()))
            scheduler._look()
    assert counted.runs == [START + dt.timedelta(minutes=minute) for minute in range(0, 120, 15)]
    assert sum(broken_rules in due for due in tried) == 8  # every 15 minutes, not at every look
    assert "broken_rules failed" in caplog.text and "Traceback" in caplog.text
    assert "the database did not answer" not in caplog.text


@pytest.mark.django_db(transaction=True)
def test_an_outage_in_a_job_ends_the_round_and_the_job_is_tried_at_the_next_look(counted, caplog):
    outage = [True]

    def flaky_job(now):
        if outage[0]:
            raise OperationalError("the database went away")
        return 0

    scheduler = Scheduler(
        "host-a:1", [(flaky_job, dt.timedelta(minutes=15)), (counted.job, dt.timedelta(minutes=15))]
    )
    scheduler.runner.contain_errors = True
    with at(0):
        scheduler._look()
    assert counted.runs == [] and "the database did not answer" in caplog.text
    outage[0] = False
    with at(5):
        scheduler._look()
    assert counted.runs == [START + 5 * SECOND]
    assert set(SchedulerLease.objects.get().last_runs) == {jobs.job_key(flaky_job), jobs.job_key(counted.job)}


@pytest.mark.django_db(transaction=True)
def test_a_database_error_in_the_thread_is_logged_and_tried_again(settings, caplog):
    settings.WORKER_POLL_SECONDS = 0.01
    succeeded = threading.Event()
    attempts = []

    def flaky_job(now):
        attempts.append(now)
        if len(attempts) == 1:
            raise OperationalError("the database went away")
        succeeded.set()
        return 0

    scheduler = Scheduler("host-a:1", [(flaky_job, dt.timedelta(minutes=15))])
    scheduler.start()
    try:
        assert succeeded.wait(10)  # bounded: the thread retries every 0.01 s
    finally:
        scheduler.stop()
    assert "the database did not answer" in caplog.text
    lease = SchedulerLease.objects.get()
    assert lease.holder == "" and lease.expires_at <= timezone.now()  # handed over on stop
    assert list(lease.last_runs) == [
        "circles.worker.tests.test_scheduler.test_a_database_error_in_the_thread_is_logged_and_tried_again.<locals>.flaky_job"
    ]


def test_run_worker_once_runs_the_time_rules_synchronously(riley, sam):
    from circles.alerts.tests.factories import askable, ladder

    ladder(riley, askable(riley, sam))
    riley.date_joined = timezone.now() - dt.timedelta(days=30)
    riley.save(update_fields=["date_joined"])
    call_command("run_worker", "--once")
    assert Alert.objects.get().kind == logic.DISENGAGEMENT


def test_every_worker_writes_audit_checkpoints_whoever_holds_the_lease(db, settings, tmp_path, capsys):
    """Each machine's checkpoint file is written by its own workers, not only by the lease's holder."""
    settings.AUDIT_CHECKPOINT_PATH = str(tmp_path / "checkpoints.jsonl")
    SchedulerLease.objects.create(
        name="periodic-jobs", holder="elsewhere:1", expires_at=timezone.now() + dt.timedelta(minutes=1)
    )
    call_command("run_worker", "--once")
    assert len((tmp_path / "checkpoints.jsonl").read_text().splitlines()) == 1
    assert "periodic jobs not run: another worker holds the scheduler lease" in capsys.readouterr().out
    assert all(job is not checkpoint.write_audit_checkpoint for job, _every in jobs.PERIODIC_JOBS)


def test_the_worker_s_own_jobs_run_at_their_interval_from_its_start(db, counted):
    own = OwnJobs([(counted.job, dt.timedelta(minutes=60))])
    for minutes in (0, 30, 60, 90, 120):
        with at(minutes * 60):
            own.run_due()
    assert counted.runs == [START, START + dt.timedelta(minutes=60), START + dt.timedelta(minutes=120)]


def test_every_periodic_job_has_a_name_of_its_own():
    keys = [jobs.job_key(job) for job, _every in jobs.PERIODIC_JOBS]
    assert len(set(keys)) == len(keys)


@pytest.mark.django_db(transaction=True)
def test_run_worker_sends_while_the_scheduler_works_in_its_own_thread(monkeypatch, settings):
    """The delivery loop never runs the periodic jobs itself: a pass that never ends holds up no send."""
    import os
    import signal

    from circles.worker.management.commands import run_worker

    settings.ALERT_POLL_SECONDS = settings.WORKER_POLL_SECONDS = 0.01
    endless_pass = threading.Event()
    rounds = []

    class SchedulerStuckInAPass(Scheduler):
        def run_due(self, now=None):
            assert threading.current_thread() is not threading.main_thread(), "the delivery loop ran the jobs"
            endless_pass.set()
            self._stopping.wait()  # a pass that only ends when the worker stops
            return 0

    def work_due(name, keeper=None):
        rounds.append(endless_pass.is_set())
        # 20 rounds of delivery during the pass (at most 2,000 rounds, about 20 s, in all).
        if rounds.count(True) == 20 or len(rounds) == 2_000:
            os.kill(os.getpid(), signal.SIGTERM)  # the worker's own handler stops the loop
        return run_worker.delivery.Round()

    monkeypatch.setattr(run_worker, "Scheduler", SchedulerStuckInAPass)
    monkeypatch.setattr(run_worker.delivery, "work_due", work_due)
    monkeypatch.setattr(run_worker, "send_pending_account_emails", lambda: 0)
    handlers = {signum: signal.getsignal(signum) for signum in (signal.SIGTERM, signal.SIGINT)}
    try:
        call_command("run_worker")
    finally:
        for signum, handler in handlers.items():
            signal.signal(signum, handler)
    assert rounds.count(True) == 20  # delivery went on while the pass was under way
    assert not SchedulerLease.objects.exclude(holder="").exists()  # and the lease was handed over


def test_a_lease_shorter_than_three_looks_is_refused_at_start(settings):
    from circles.worker.checks import check_scheduler_lease

    settings.WORKER_POLL_SECONDS, settings.SCHEDULER_LEASE_SECONDS = 5, 60
    assert check_scheduler_lease(None) == []
    settings.SCHEDULER_LEASE_SECONDS = 14
    [error] = check_scheduler_lease(None)
    assert error.id == "circles.E150" and "less than three times" in error.msg


@pytest.mark.parametrize("value", ["0", "-1", "nan"])
def test_a_worker_poll_of_zero_seconds_stops_the_start_with_a_reason(value):
    """Zero would pass E150 (any lease is three times 0) and make the threads look without a pause."""
    refused = subprocess.run(  # noqa: S603 — our own interpreter on our own settings
        [sys.executable, "-c", "import circles.settings"],
        cwd=django_settings.BASE_DIR,
        env={**os.environ, "WORKER_POLL_SECONDS": value},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert refused.returncode != 0
    assert "ImproperlyConfigured: WORKER_POLL_SECONDS must be more than 0" in refused.stderr


@pytest.mark.django_db(transaction=True)
def test_on_sigterm_the_scheduler_and_the_sends_are_stopped_together(monkeypatch, settings):
    """Each waits for the other to be stopping too: one after another, the first would never return."""
    import os
    import signal

    from circles.worker.management.commands import run_worker

    settings.ALERT_POLL_SECONDS = 0.01
    both_stopping = threading.Barrier(2, timeout=10)

    class SlowToStopScheduler(Scheduler):
        def stop(self):
            both_stopping.wait()  # raises BrokenBarrierError after 10 s if the keeper is not stopping
            super().stop()

    class SlowToStopKeeper(run_worker.delivery.LeaseKeeper):
        def stop(self):
            both_stopping.wait()
            super().stop()

    def work_due(name, keeper=None):
        os.kill(os.getpid(), signal.SIGTERM)
        return run_worker.delivery.Round()

    monkeypatch.setattr(run_worker, "Scheduler", SlowToStopScheduler)
    monkeypatch.setattr(run_worker.delivery, "LeaseKeeper", SlowToStopKeeper)
    monkeypatch.setattr(run_worker.delivery, "work_due", work_due)
    monkeypatch.setattr(run_worker, "send_pending_account_emails", lambda: 0)
    handlers = {signum: signal.getsignal(signum) for signum in (signal.SIGTERM, signal.SIGINT)}
    try:
        call_command("run_worker")
    finally:
        for signum, handler in handlers.items():
            signal.signal(signum, handler)
    assert not both_stopping.broken
    assert not SchedulerLease.objects.exclude(holder="").exists()  # the lease was still handed over
