"""The heartbeat is written from its own thread, so a long periodic pass or a slow send never makes a
live worker look dead to /healthz."""

import threading

import pytest

from circles.worker.heartbeat import HeartbeatWriter
from circles.worker.models import WorkerHeartbeat


def test_a_beat_records_the_jobs_the_loop_counted(db):
    writer = HeartbeatWriter("host:1", every=5)
    writer.count(3)
    writer.count(2)
    writer.beat()
    assert WorkerHeartbeat.objects.get(name="host:1").jobs_run == 5


@pytest.mark.django_db(transaction=True)
def test_the_thread_beats_while_the_main_loop_is_busy():
    writer = HeartbeatWriter("host:2", every=0.01)
    writer.start()
    try:
        # The main loop is "busy" (this test does nothing); the thread alone must write the heartbeat.
        written = threading.Event()
        for _try in range(500):  # bounded: at most about 5 s on a very slow machine
            if WorkerHeartbeat.objects.filter(name="host:2").exists():
                written.set()
                break
            written.wait(0.01)
        assert written.is_set()
    finally:
        writer.stop()
