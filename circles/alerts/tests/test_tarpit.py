"""One member's tarpit webhook does not hold up anyone else's SOS. Slow: `make test` and CI run it.

A webhook on one member's ladder points at a server that accepts the request and then answers one
byte every 2 seconds, for ever. While the worker (`manage.py run_worker`, in a subprocess, as in
test_faults.py) is stuck on it, 50 other members press SOS: every one of their emails must reach the
mail server while the tarpit still holds its send (its deadline is long: 30 s), and nothing may be lost —
every message ends sent, or, for the tarpit's, failed at its deadline with a retry planned. The test
asserts that order of events, not a time; it prints the press-to-mail-server latencies (the target is
p99 under 2 s, bench/alerts.py measures it).
"""

from __future__ import annotations

import statistics
import time

import pytest
from django.db import connection

from circles.alerts import logic
from circles.alerts.actions import PersonSpec, RungSpec, do_raise_sos, do_set_ladder
from circles.alerts.models import DeliveryAttempt, Notification, NotificationStatus
from circles.alerts.tests.factories import askable
from circles.alerts.tests.http_sink import ScriptedServer
from circles.alerts.tests.smtp_sink import SmtpSink
from circles.alerts.tests.test_faults import (  # noqa: F401 — database_for_worker is autouse, for this module
    Worker,
    all_sent,
    database_for_worker,
    keys,
    members_asking,
    running,
    wait_for,
    worker_env,
)

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

MEMBERS = 50
HTTP_DEADLINE = 30  # ALERT_HTTP_TIMEOUT for the run: the tarpit's send fails after this, and is retried


def tarpit(connection, stopping) -> None:
    """Answers one byte every 2 seconds and never finishes; ends when the client hangs up."""
    for byte in b"HTTP/1.1 200 OK\r\n" * 1000:
        connection.sendall(bytes([byte]))
        if stopping.wait(2):
            return


@pytest.fixture
def worker_database(database_for_worker):  # noqa: F811 — the fixture imported above
    return database_for_worker


def test_a_tarpit_webhook_on_one_ladder_does_not_delay_fifty_other_members_sos_emails(
    worker_database, tmp_path, riley, sam, jamie
):
    server = ScriptedServer(tarpit).start()
    try:
        # Riley's ladder asks Jamie by email and by a webhook into the tarpit.
        tie = askable(riley, jamie, name="Jamie")
        do_set_ladder(
            riley,
            [RungSpec([PersonSpec(tie.pk, [logic.EMAIL, logic.WEBHOOK], webhook_url=server.url("/hook"))])],
            acting_user=riley,
        )
        members = members_asking(sam, MEMBERS)
        with SmtpSink() as sink:
            env = worker_env(worker_database, sink, ALERT_HTTP_TIMEOUT=HTTP_DEADLINE)
            with running(Worker(env, tmp_path / "worker.log")) as worker:
                alert, _ = do_raise_sos(riley, acting_user=riley)
                hook = alert.notifications.get(channel=logic.WEBHOOK)
                wait_for(lambda: len(server.requests) >= 1, "the worker to be stuck in the tarpit", worker)

                pressed: dict[int, float] = {}  # alert id: when its member pressed SOS
                for member in members:
                    started = time.monotonic()
                    sos, _ = do_raise_sos(member, acting_user=member)
                    pressed[sos.pk] = started
                emails = list(
                    Notification.objects.filter(alert__in=pressed, channel=logic.EMAIL).values_list(
                        "id", "idempotency_key", "alert_id"
                    )
                )
                ids = [pk for pk, _key, _alert in emails]
                wait_for(all_sent(ids), f"all {MEMBERS} SOS emails sent", worker)
                riley_email = alert.notifications.get(channel=logic.EMAIL).pk
                wait_for(all_sent([riley_email]), "Riley's own email sent", worker)
                # Every one went out while the tarpit still held its send: nobody waited behind it.
                ended = DeliveryAttempt.objects.filter(notification=hook, finished_at__isnull=False)
                assert not ended.exists(), "the other members' emails waited until the tarpit's send ended"

                # The tarpit's send ended at its deadline, recorded with a retry time: nothing lost.
                def tarpit_failed_and_retried() -> bool:
                    return DeliveryAttempt.objects.filter(
                        notification=hook, ok=False, next_attempt_at__isnull=False
                    ).exists()

                wait_for(
                    tarpit_failed_and_retried,
                    "the tarpit's send to fail at its deadline",
                    worker,
                    timeout=HTTP_DEADLINE * 3,
                )
            arrived = {message.delivery: message.at for message in sink.received}
            counts = sink.deliveries()
    finally:
        server.stop()

    alert_of = {str(key): alert_id for _pk, key, alert_id in emails}
    late = sorted(arrived[key] - pressed[alert_of[key]] for key in alert_of)
    p50, p95, p99 = (statistics.quantiles(late, n=100, method="inclusive")[n - 1] for n in (50, 95, 99))
    print(  # noqa: T201
        f"\n{MEMBERS} SOS emails with a tarpit webhook on another ladder ({connection.vendor}): "
        f"press → mail server p50 {p50:.2f} s, p95 {p95:.2f} s, p99 {p99:.2f} s, max {late[-1]:.2f} s"
    )
    assert counts == {key: 1 for key in keys([*ids, riley_email])}  # each email once, none missing

    hook.refresh_from_db()
    assert hook.status == NotificationStatus.PENDING and hook.attempts >= 1
    assert hook.last_error == f"webhook: no answer within {HTTP_DEADLINE} s"
    others = Notification.objects.exclude(pk=hook.pk)
    assert set(others.values_list("status", flat=True)) == {NotificationStatus.SENT}  # in-app ones too
