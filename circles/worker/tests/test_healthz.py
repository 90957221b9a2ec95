"""/healthz: healthy only while the database answers and some worker's heartbeat is fresh."""

import datetime as dt

import time_machine
from django.db import connection
from django.utils import timezone

from circles.worker.models import WorkerHeartbeat

START = dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC)


def test_a_fresh_heartbeat_is_healthy(client, db):
    with time_machine.travel(START, tick=False):
        WorkerHeartbeat.objects.create(name="host:1", last_seen_at=START)
        with time_machine.travel(START + dt.timedelta(seconds=4), tick=False):
            response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"database": "ok", "workers": 1, "newest_heartbeat_seconds_ago": 4.0}


def test_no_worker_at_all_is_unhealthy(client, db):
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"database": "ok", "workers": 0, "newest_heartbeat_seconds_ago": None}


def test_a_worker_silent_past_the_threshold_is_unhealthy(client, db, settings):
    settings.WORKER_STALE_SECONDS = 30
    with time_machine.travel(START, tick=False):
        WorkerHeartbeat.objects.create(name="host:1", last_seen_at=START)
    with time_machine.travel(START + dt.timedelta(seconds=30), tick=False):
        assert client.get("/healthz").status_code == 200  # exactly at the threshold: still counted
    with time_machine.travel(START + dt.timedelta(seconds=31), tick=False):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"database": "ok", "workers": 0, "newest_heartbeat_seconds_ago": 31.0}


def test_only_fresh_workers_are_counted_and_the_freshest_age_is_given(client, db):
    with time_machine.travel(START, tick=False):
        WorkerHeartbeat.objects.create(name="dead:1", last_seen_at=START - dt.timedelta(minutes=10))
        WorkerHeartbeat.objects.create(name="alive:1", last_seen_at=START - dt.timedelta(seconds=3))
        WorkerHeartbeat.objects.create(name="alive:2", last_seen_at=START - dt.timedelta(seconds=7))
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"database": "ok", "workers": 2, "newest_heartbeat_seconds_ago": 3.0}


def test_the_threshold_is_a_setting(client, db, settings):
    settings.WORKER_STALE_SECONDS = 120
    with time_machine.travel(START, tick=False):
        WorkerHeartbeat.objects.create(name="host:1", last_seen_at=START - dt.timedelta(seconds=90))
        assert client.get("/healthz").json()["workers"] == 1


def test_a_database_that_does_not_answer_is_unhealthy(client, db, monkeypatch):
    def refuse(*args, **kwargs):
        raise connection.Database.OperationalError("the database went away")

    WorkerHeartbeat.objects.create(name="host:1", last_seen_at=timezone.now())
    with monkeypatch.context() as patch:
        patch.setattr(connection, "cursor", refuse)
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"database": "unavailable", "workers": 0, "newest_heartbeat_seconds_ago": None}


def test_healthz_needs_no_login_and_names_nobody(client, riley):
    WorkerHeartbeat.objects.create(name="host:1")
    body = client.get("/healthz").content.decode()
    assert "host:1" not in body and riley.email not in body
