"""Every email send has one deadline, EMAIL_TIMEOUT, for the whole of it: a mail server that trickles its
answers a byte at a time (each byte well inside a per-read timeout) is cut off when the time is up."""

import socket
import threading

import pytest
from django.core.mail.backends.base import BaseEmailBackend

from circles.alerts import delivery, logic
from circles.alerts.actions import do_raise_sos
from circles.alerts.models import Destination, NotificationStatus
from circles.alerts.tests.factories import askable, ladder

GREETING = b"220 slow.example ESMTP at its own pace\r\n"


class TricklingMailServer:
    """Accepts one connection and sends the SMTP greeting one byte every 0.2 s (about 8 s in all), then
    hangs up. `outcome` says whether it got to the end or the client hung up first."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.stopping = threading.Event()
        self.done = threading.Event()
        self.outcome = ""
        self.thread = threading.Thread(target=self.serve, name="trickling-smtp", daemon=True)

    def serve(self) -> None:
        connection, _address = self.listener.accept()
        with connection:
            try:
                for byte in GREETING:
                    connection.sendall(bytes([byte]))
                    if self.stopping.wait(0.2):
                        break
                else:
                    self.outcome = "finished"
            except OSError:
                self.outcome = "hung up"
        self.done.set()

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.stopping.set()
        self.listener.close()
        self.thread.join(10)


@pytest.fixture
def slow_mail_server(settings):
    with TricklingMailServer() as server:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        settings.EMAIL_TIMEOUT = 1
        yield server


def test_a_mail_server_that_trickles_is_cut_off_at_the_deadline(riley, sam, slow_mail_server):
    ladder(riley, askable(riley, sam), channels=(logic.EMAIL,))
    alert, _ = do_raise_sos(riley, acting_user=riley)
    assert delivery.work_due("test-worker").failed == 1
    email = alert.notifications.get(channel=logic.EMAIL)
    assert email.last_error == "email: no answer within 1 s"
    assert email.status == NotificationStatus.PENDING  # tried again later
    assert slow_mail_server.done.wait(15)
    assert slow_mail_server.outcome == "hung up"  # the worker left before the greeting was over
    assert Destination.objects.get(key="email").failures == 1  # the mail server's trouble, not the message's


class HangingBackend(BaseEmailBackend):
    """An email API's backend whose provider does not answer until the test lets it."""

    release = threading.Event()
    sent: list[str] = []

    def send_messages(self, messages):
        HangingBackend.release.wait(5)  # then the provider answers after all: the message went
        HangingBackend.sent.extend(message.to[0] for message in messages)
        return len(messages)


class RefusingBackend(BaseEmailBackend):
    def send_messages(self, messages):
        raise ConnectionRefusedError("the provider refused the connection")


def test_another_email_backend_is_given_up_on_at_the_deadline(riley, sam, settings):
    """Not Django's SMTP backend: the worker stops waiting at EMAIL_TIMEOUT, though the send may finish."""
    settings.EMAIL_BACKEND = f"{__name__}.HangingBackend"
    settings.EMAIL_TIMEOUT = 0.2
    HangingBackend.release.clear()
    ladder(riley, askable(riley, sam), channels=(logic.EMAIL,))
    alert, _ = do_raise_sos(riley, acting_user=riley)
    try:
        assert delivery.work_due("test-worker").failed == 1
        email = alert.notifications.get(channel=logic.EMAIL)
        assert email.last_error == "email: no answer within 0.2 s"
        assert email.status == NotificationStatus.PENDING  # tried again later
        assert Destination.objects.get(key="email").failures == 1  # the provider's fault
    finally:
        HangingBackend.release.set()


def test_another_email_backends_error_is_reported_as_before(riley, sam, settings):
    settings.EMAIL_BACKEND = f"{__name__}.RefusingBackend"
    ladder(riley, askable(riley, sam), channels=(logic.EMAIL,))
    alert, _ = do_raise_sos(riley, acting_user=riley)
    assert delivery.work_due("test-worker").failed == 1
    email = alert.notifications.get(channel=logic.EMAIL)
    assert email.last_error == "email: ConnectionRefusedError: the provider refused the connection"


def test_a_mail_server_name_that_takes_long_to_look_up_is_given_up_on_at_the_deadline(
    riley, sam, settings, monkeypatch
):
    """Looking the name up has no timeout of its own: the worker stops waiting for it at EMAIL_TIMEOUT."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "mail.example.org", 25
    settings.EMAIL_TIMEOUT = 0.2
    release, looked_up = threading.Event(), threading.Event()

    def slow_resolver(*args, **kwargs):
        release.wait(5)
        looked_up.set()
        raise socket.gaierror("no answer from the resolver")

    monkeypatch.setattr(socket, "getaddrinfo", slow_resolver)
    ladder(riley, askable(riley, sam), channels=(logic.EMAIL,))
    alert, _ = do_raise_sos(riley, acting_user=riley)
    try:
        assert delivery.work_due("test-worker").failed == 1
        assert not looked_up.is_set(), "the worker waited for the name lookup past the deadline"
        assert alert.notifications.get(channel=logic.EMAIL).last_error == "email: no answer within 0.2 s"
    finally:
        release.set()
