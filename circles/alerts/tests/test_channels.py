"""The channels over real sockets: SMTP on loopback (aiosmtpd), and local HTTP servers standing in for
Twilio and a webhook receiver. The worker runs in-process, as in test_engine."""

import base64
import datetime as dt
import email
import email.policy
import json
import re
import socket
import ssl
import threading
import time

import pytest
import time_machine
from aiosmtpd.controller import Controller
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.core import signing
from django.urls import resolve
from django.utils import timezone

from circles.alerts import channels, delivery, logic
from circles.alerts.actions import PersonSpec, RungSpec, do_raise_sos, do_set_ladder
from circles.alerts.models import DeliveryAttempt, Notification, NotificationStatus, RungPerson
from circles.alerts.tests.factories import askable, ladder
from circles.alerts.tests.http_sink import HttpSink, ScriptedServer
from circles.checkins.tests.factories import make_checkin
from circles.lib import outbound

SITE = "https://circles.example"
SOS_MESSAGE = "Rough night, the wedding was hard"
CHECKIN_NOTE = "Evenings are hard since the move"


def run_worker():
    return delivery.work_due("test-worker")


def answer_token_in(text: str) -> str:
    """The token of the one answer link in a message (the link must point at the answer page)."""
    links = re.findall(re.escape(SITE) + r"(/\S+)", text)
    assert len(links) == 1, text
    match = resolve(links[0])
    assert match.view_name == "alerts:answer"
    return match.kwargs["token"]


def assert_minimum_necessary(text: str, notification: Notification) -> None:
    """The member's name and the link; never the SOS message, a check-in detail or the reason."""
    assert "Riley" in text
    assert channels.read_answer_token(answer_token_in(text)) == notification.pk
    for secret in (SOS_MESSAGE, "wedding", CHECKIN_NOTE, notification.alert.reason):
        assert secret not in text


def retry_when_due(notification: Notification):
    """Moves the clock just past the backoff the failed attempt recorded, and runs the worker."""
    attempt = DeliveryAttempt.objects.filter(notification=notification).order_by("number").last()
    assert attempt is not None and attempt.next_attempt_at is not None
    with time_machine.travel(attempt.next_attempt_at + dt.timedelta(seconds=1)):
        return run_worker()


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = SITE


@pytest.fixture
def sos(riley):
    """Raises Riley's SOS (after a check-in with a private note) and returns the alert."""

    def raise_it():
        make_checkin(riley, mood=2, craving=8, struggling=CHECKIN_NOTE)
        alert, created = do_raise_sos(riley, message=SOS_MESSAGE, acting_user=riley)
        assert created
        return alert

    return raise_it


# --- Email over SMTP ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class SmtpSink:
    """An aiosmtpd server on loopback that keeps every message; it can refuse the next DATA commands
    with a temporary error, and be stopped and started again on the same port."""

    def __init__(self) -> None:
        self.port = free_port()
        self.received: list = []  # aiosmtpd envelopes, refused ones included
        self.refuse_next = 0
        self.controller: Controller | None = None
        self._lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope) -> str:
        with self._lock:
            self.received.append(envelope)
            if self.refuse_next:
                self.refuse_next -= 1
                return "451 4.3.0 Try again later"
        return "250 OK"

    def start(self) -> None:
        # A controller's event loop is closed when it stops, so each start makes a new one.
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def messages(self) -> list[email.message.EmailMessage]:
        return [
            email.message_from_bytes(envelope.content, policy=email.policy.default)
            for envelope in self.received
        ]


@pytest.fixture
def smtp(settings):
    sink = SmtpSink()
    sink.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", sink.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5
    yield sink
    sink.stop()


@pytest.fixture
def email_ladder(riley, sam):
    ladder(riley, askable(riley, sam), channels=(logic.EMAIL,))


def test_email_goes_over_smtp_with_the_link_and_nothing_more(email_ladder, sos, smtp):
    alert = sos()
    assert run_worker().sent == 1
    notification = alert.notifications.get(channel=logic.EMAIL)
    [envelope] = smtp.received
    assert envelope.rcpt_tos == ["sam@example.org"]
    [message] = smtp.messages()
    assert message["To"] == "sam@example.org"
    assert message["Subject"] == "Riley could use support now"
    assert message["Message-ID"] == f"<{notification.idempotency_key}@circles.alerts>"
    assert message["X-Circles-Delivery"] == str(notification.idempotency_key)
    assert_minimum_necessary(message["Subject"] + "\n" + message.get_content(), notification)
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.SENT and notification.attempts == 1


def test_a_retried_email_keeps_its_message_id(email_ladder, sos, smtp):
    smtp.refuse_next = 1  # the server takes the message, then answers 451: the outcome is unknown
    alert = sos()
    assert run_worker().failed == 1
    notification = alert.notifications.get(channel=logic.EMAIL)
    assert retry_when_due(notification).sent == 1
    message_ids = [message["Message-ID"] for message in smtp.messages()]
    assert message_ids == [f"<{notification.idempotency_key}@circles.alerts>"] * 2
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.SENT and notification.attempts == 2


def test_an_smtp_server_that_is_down_means_a_retry_later(email_ladder, sos, smtp):
    smtp.stop()
    alert = sos()
    with time_machine.travel(timezone.now(), tick=False):  # the backoff cannot run out meanwhile
        assert run_worker().failed == 1
        notification = alert.notifications.get(channel=logic.EMAIL)
        assert notification.status == NotificationStatus.PENDING and notification.attempts == 1
        [attempt] = DeliveryAttempt.objects.filter(notification=notification)
        assert attempt.ok is False and attempt.finished_at is not None
        assert attempt.error.startswith("email: ConnectionRefusedError")
        assert attempt.next_attempt_at is not None and attempt.next_attempt_at > attempt.finished_at
        assert notification.due_at == attempt.next_attempt_at
        assert run_worker().handled == 0  # not before its time

    smtp.start()
    assert retry_when_due(notification).sent == 1
    [message] = smtp.messages()
    assert message["Message-ID"] == f"<{notification.idempotency_key}@circles.alerts>"
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.SENT and notification.attempts == 2
    assert [a.ok for a in notification.attempt_log.all()] == [False, True]


# --- Text messages through Twilio ----------------------------------------------------------------------


@pytest.fixture
def http_sink():
    sink = HttpSink().start()
    yield sink
    sink.stop()


@pytest.fixture
def twilio(settings, http_sink):
    settings.SMS_PROVIDER = "twilio"
    settings.TWILIO_ACCOUNT_SID = "AC123"
    settings.TWILIO_AUTH_TOKEN = "token-456"
    settings.TWILIO_FROM_NUMBER = "+15555550199"
    settings.TWILIO_MESSAGING_SERVICE_SID = ""
    settings.TWILIO_API_BASE = http_sink.url("/")
    settings.ALERT_HTTP_TIMEOUT = 5
    return http_sink


@pytest.fixture
def text_ladder(riley, sam):
    tie = askable(riley, sam)
    tie.phone = "+15555550100"
    tie.save()
    ladder(riley, tie, channels=(logic.SMS,))


def test_a_text_message_is_posted_to_twilio(text_ladder, sos, twilio):
    assert isinstance(channels.sms_provider(), channels.TwilioSms)
    alert = sos()
    assert run_worker().sent == 1
    notification = alert.notifications.get(channel=logic.SMS)
    [request] = twilio.requests
    assert request.method == "POST"
    assert request.path == "/2010-04-01/Accounts/AC123/Messages.json"
    scheme, credentials = request.headers["Authorization"].split(" ")
    assert scheme == "Basic" and base64.b64decode(credentials) == b"AC123:token-456"
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    fields = request.form()
    assert sorted(fields) == ["Body", "From", "To"]
    assert fields["To"] == "+15555550100" and fields["From"] == "+15555550199"
    assert_minimum_necessary(fields["Body"], notification)
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.SENT


def test_a_messaging_service_replaces_the_sender_number(text_ladder, sos, twilio, settings):
    settings.TWILIO_MESSAGING_SERVICE_SID = "MG789"
    sos()
    assert run_worker().sent == 1
    fields = twilio.requests[0].form()
    assert sorted(fields) == ["Body", "MessagingServiceSid", "To"]
    assert fields["MessagingServiceSid"] == "MG789"


@pytest.mark.parametrize("status", [500, 503, 429, 408])
def test_twilio_trouble_is_retried_later(text_ladder, sos, twilio, status):
    twilio.statuses = [status]
    alert = sos()
    assert run_worker().failed == 1
    notification = alert.notifications.get(channel=logic.SMS)
    assert notification.status == NotificationStatus.PENDING
    assert notification.last_error == f"text message: HTTP {status}"
    assert retry_when_due(notification).sent == 1
    assert len(twilio.requests) == 2
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.SENT and notification.attempts == 2


@pytest.mark.parametrize("status", [400, 401, 404])
def test_a_refused_text_message_is_dead_at_once(text_ladder, sos, twilio, status):
    twilio.statuses = [status]
    alert = sos()
    assert run_worker().failed == 1
    notification = alert.notifications.get(channel=logic.SMS)
    assert notification.status == NotificationStatus.DEAD and notification.attempts == 1
    assert notification.last_error == f"text message: HTTP {status}"
    [attempt] = notification.attempt_log.all()
    assert attempt.ok is False and attempt.next_attempt_at is None
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=5)):
        run_worker()
    assert len(twilio.requests) == 1


def test_the_console_provider_prints_the_text(text_ladder, sos, settings, capsys):
    settings.SMS_PROVIDER = "console"
    channels.ConsoleSms().send("+15555550100", "Hello from Circles", "key")
    assert capsys.readouterr().out == "[text message to +15555550100] Hello from Circles\n"
    alert = sos()
    assert run_worker().sent == 1
    printed = capsys.readouterr().out
    assert printed.startswith("[text message to +15555550100] Circles: Riley could use support now.")
    assert_minimum_necessary(printed, alert.notifications.get(channel=logic.SMS))


# --- Webhooks ------------------------------------------------------------------------------------------


def hook_ladder(riley, sam, url: str) -> RungPerson:
    tie = askable(riley, sam)
    do_set_ladder(
        riley, [RungSpec([PersonSpec(tie.pk, [logic.WEBHOOK], webhook_url=url)])], acting_user=riley
    )
    return RungPerson.objects.get(tie=tie)


@pytest.fixture
def hook(riley, sam, http_sink, settings):
    settings.ALERT_WEBHOOK_ALLOW_PRIVATE = True
    settings.ALERT_HTTP_TIMEOUT = 5
    return hook_ladder(riley, sam, http_sink.url("/hook"))


def signature_of(request) -> tuple[str, str]:
    timestamp = request.headers[logic.TIMESTAMP_HEADER]
    version, signature = request.headers[logic.SIGNATURE_HEADER].split("=", 1)
    assert version == "v1"
    return timestamp, signature


def test_a_webhook_is_signed_with_the_persons_secret(hook, sos, http_sink):
    alert = sos()
    assert run_worker().sent == 1
    notification = alert.notifications.get(channel=logic.WEBHOOK)
    [request] = http_sink.requests
    assert request.path == "/hook" and request.headers["Content-Type"] == "application/json"
    assert request.headers[logic.IDEMPOTENCY_HEADER] == str(notification.idempotency_key)
    timestamp, signature = signature_of(request)
    now = time.time()
    assert abs(now - int(timestamp)) < 60

    def valid(secret=hook.webhook_secret, body=request.body, at=now) -> bool:
        return logic.webhook_signature_valid(secret, timestamp, body, signature, now=at)

    assert valid()
    assert not valid(body=request.body.replace(b"Riley", b"Rilez"))  # tampered
    assert not valid(body=request.body + b" ")
    assert not valid(secret="another-" + hook.webhook_secret)
    assert not valid(at=int(timestamp) + logic.REPLAY_TOLERANCE_SECONDS + 1)  # replayed later
    assert valid(at=int(timestamp) + logic.REPLAY_TOLERANCE_SECONDS)
    assert not logic.webhook_signature_valid(hook.webhook_secret, "not-a-time", request.body, signature, now)

    payload = json.loads(request.body)
    assert sorted(payload) == ["acknowledge_url", "alert_id", "delivery_id", "member_name", "text", "type"]
    assert payload["type"] == "alert.support_requested"
    assert payload["delivery_id"] == str(notification.idempotency_key)
    assert payload["alert_id"] == alert.pk and payload["member_name"] == "Riley"
    assert answer_token_in(payload["acknowledge_url"]) == answer_token_in(payload["text"])
    assert_minimum_necessary(payload["text"], notification)
    assert SOS_MESSAGE not in request.body.decode() and CHECKIN_NOTE not in request.body.decode()


def test_a_retried_webhook_keeps_its_idempotency_key(hook, sos, http_sink):
    http_sink.statuses = [503]
    alert = sos()
    assert run_worker().failed == 1
    notification = alert.notifications.get(channel=logic.WEBHOOK)
    assert notification.status == NotificationStatus.PENDING
    assert notification.last_error == "webhook: HTTP 503"
    retried_at = DeliveryAttempt.objects.get(notification=notification).next_attempt_at
    assert retry_when_due(notification).sent == 1
    first, second = http_sink.requests
    key = str(notification.idempotency_key)
    assert first.headers[logic.IDEMPOTENCY_HEADER] == second.headers[logic.IDEMPOTENCY_HEADER] == key
    assert json.loads(first.body)["delivery_id"] == json.loads(second.body)["delivery_id"] == key
    # Each attempt is signed when it is sent, so the retry's signature is fresh and valid then.
    timestamp, signature = signature_of(second)
    assert int(timestamp) >= int(retried_at.timestamp())
    assert logic.webhook_signature_valid(
        hook.webhook_secret, timestamp, second.body, signature, now=int(timestamp) + 1
    )


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_webhook_redirect_is_not_followed(hook, sos, http_sink, status):
    http_sink.statuses = [status]
    alert = sos()
    assert run_worker().failed == 1
    assert [request.path for request in http_sink.requests] == ["/hook"]  # nothing went to /elsewhere
    notification = alert.notifications.get(channel=logic.WEBHOOK)
    assert notification.last_error == f"webhook: HTTP {status}"
    # A redirect is a misconfigured address, which retrying cannot mend.
    assert notification.status == NotificationStatus.DEAD
    assert notification.attempt_log.get().ok is False


@pytest.mark.parametrize(
    ("address", "error"),
    [
        ("http://127.0.0.1:{port}/hook", "webhook: only https addresses are allowed"),
        ("http://example.org/hook", "webhook: only https addresses are allowed"),
        ("https://127.0.0.1:{port}/hook", "webhook: the address is not on the public internet"),
        ("https://localhost:{port}/hook", "webhook: the address is not on the public internet"),
        ("https://[::1]:{port}/hook", "webhook: the address is not on the public internet"),
        ("https://[::ffff:127.0.0.1]:{port}/hook", "webhook: the address is not on the public internet"),
        ("https://2130706433:{port}/hook", "webhook: the address is not on the public internet"),
        ("https://10.1.2.3/hook", "webhook: the address is not on the public internet"),
        ("https://169.254.169.254/latest/meta-data", "webhook: the address is not on the public internet"),
    ],
)
def test_in_production_a_private_webhook_address_is_refused(
    riley, sam, sos, http_sink, settings, address, error
):
    # Saved while private addresses were allowed; the channel checks again when it sends.
    settings.ALERT_WEBHOOK_ALLOW_PRIVATE = True
    hook_ladder(riley, sam, address.format(port=http_sink.port))
    settings.ALERT_WEBHOOK_ALLOW_PRIVATE = False
    alert = sos()
    assert run_worker().failed == 1
    notification = alert.notifications.get(channel=logic.WEBHOOK)
    assert notification.status == NotificationStatus.DEAD and notification.attempts == 1
    assert notification.last_error == error
    assert http_sink.connections == 0 and http_sink.requests == []


# --- Webhooks against servers that misbehave ----------------------------------------------------------


def scripted(answer):
    """Starts a ScriptedServer with this answer; the caller stops it."""
    return ScriptedServer(answer).start()


@pytest.fixture
def deadline_of_one_second(settings):
    settings.ALERT_WEBHOOK_ALLOW_PRIVATE = True
    settings.ALERT_HTTP_TIMEOUT = 1


def trickle(connection, stopping):
    """A complete 200 answer, one byte every quarter second (about ten seconds in all)."""
    for byte in b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n":
        connection.sendall(bytes([byte]))
        if stopping.wait(0.25):
            return


def test_a_webhook_that_trickles_its_answer_is_cut_off_at_the_deadline(
    riley, sam, sos, deadline_of_one_second
):
    # Each byte arrives well within a second, so a timeout per read would wait out all ten seconds.
    server = scripted(trickle)
    try:
        hook_ladder(riley, sam, server.url("/hook"))
        alert = sos()
        started = time.monotonic()
        assert run_worker().failed == 1
        took = time.monotonic() - started
    finally:
        server.stop()
    notification = alert.notifications.get(channel=logic.WEBHOOK)
    assert notification.last_error == "webhook: no answer within 1 s"
    assert notification.status == NotificationStatus.PENDING  # tried again later
    assert 0.9 < took < 2.5
    assert len(server.requests) == 1


def endless_headers(connection, stopping):
    connection.sendall(b"HTTP/1.1 200 OK\r\n")
    while not stopping.is_set():
        connection.sendall(b"X-Filler: " + b"x" * 1000 + b"\r\n")


def endless_status_line(connection, stopping):
    connection.sendall(b"HTTP/1.1 200 ")
    while not stopping.is_set():
        connection.sendall(b"x" * 1000)


def test_a_webhook_answer_without_end_is_read_no_further_than_its_status(
    riley, sam, sos, deadline_of_one_second
):
    server = scripted(endless_headers)
    try:
        hook_ladder(riley, sam, server.url("/hook"))
        alert = sos()
        started = time.monotonic()
        assert run_worker().sent == 1
        took = time.monotonic() - started
    finally:
        server.stop()
    assert alert.notifications.get(channel=logic.WEBHOOK).status == NotificationStatus.SENT
    assert took < 0.9  # done with the status line, not at the deadline
    assert server.outcomes == ["hung up"]  # Circles closed the connection while the server still sent


def test_a_webhook_answer_too_long_to_be_http_is_refused_within_the_cap(
    riley, sam, sos, deadline_of_one_second
):
    server = scripted(endless_status_line)
    try:
        hook_ladder(riley, sam, server.url("/hook"))
        alert = sos()
        assert run_worker().failed == 1
    finally:
        server.stop()
    notification = alert.notifications.get(channel=logic.WEBHOOK)
    assert notification.last_error == f"webhook: the answer was longer than {outbound.ANSWER_BYTES_MAX} bytes"
    assert server.outcomes == ["hung up"]


def test_reading_an_answer_takes_no_more_than_the_cap():
    """Counted exactly: what is left in the socket after reading is what the reader did not take."""
    sent = 200_000
    reader, writer = socket.socketpair()
    with reader, writer:
        sending = threading.Thread(
            target=lambda: (writer.sendall(b"x" * sent), writer.shutdown(socket.SHUT_WR))
        )
        sending.start()
        with pytest.raises(outbound.OutboundFailed, match="longer than"):
            outbound.read_status(reader, time.monotonic() + 5, "webhook")
        left = 0
        reader.settimeout(5)
        while chunk := reader.recv(65536):
            left += len(chunk)
        sending.join()
    assert sent - left <= outbound.ANSWER_BYTES_MAX == 8192


PUBLIC = "93.184.215.14"


def test_a_webhook_connects_to_the_address_it_checked_and_looks_the_name_up_once(
    riley, sam, sos, settings, monkeypatch
):
    """DNS rebinding: the name answers a public address when checked, then this machine."""
    settings.ALERT_WEBHOOK_ALLOW_PRIVATE = True  # saved without a lookup
    hook_ladder(riley, sam, "https://hooks.example.org/circles")
    settings.ALERT_WEBHOOK_ALLOW_PRIVATE = False
    settings.ALERT_HTTP_TIMEOUT = 5
    answers = [PUBLIC, "127.0.0.1"]
    lookups, dialled = [], []

    def rebinding_resolver(host, port, *args, **kwargs):
        lookups.append((host, port))
        address = answers[min(len(lookups), len(answers)) - 1]
        return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (address, port))]

    def connect(sock, address):
        dialled.append(address)
        raise ConnectionRefusedError("nothing listens here in the test")

    monkeypatch.setattr(socket, "getaddrinfo", rebinding_resolver)
    monkeypatch.setattr(socket.socket, "connect", connect)
    alert = sos()
    assert run_worker().failed == 1
    assert lookups == [("hooks.example.org", 443)]
    assert dialled == [(PUBLIC, 443)]
    notification = alert.notifications.get(channel=logic.WEBHOOK)
    assert notification.last_error.startswith("webhook: ConnectionRefusedError")
    assert notification.status == NotificationStatus.PENDING


def test_a_webhook_name_with_any_private_address_is_refused_before_connecting(
    riley, sam, sos, settings, monkeypatch
):
    settings.ALERT_WEBHOOK_ALLOW_PRIVATE = True
    hook_ladder(riley, sam, "https://hooks.example.org/circles")
    settings.ALERT_WEBHOOK_ALLOW_PRIVATE = False
    dialled = []

    def resolver(host, port, *args, **kwargs):
        return [
            (socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (address, port))
            for address in (PUBLIC, "10.0.0.7")
        ]

    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    monkeypatch.setattr(socket.socket, "connect", lambda sock, address: dialled.append(address))
    alert = sos()
    assert run_worker().failed == 1
    notification = alert.notifications.get(channel=logic.WEBHOOK)
    assert notification.last_error == "webhook: the address is not on the public internet"
    assert notification.status == NotificationStatus.DEAD and dialled == []


def self_signed(tmp_path, name: str) -> tuple[str, str]:
    """A certificate for `name` and its key, as files; the test trusts it as its own authority."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp_path / f"{name}.pem", tmp_path / f"{name}.key"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return str(cert_file), str(key_file)


@pytest.mark.parametrize(
    ("served_as", "outcome"), [("hooks.example.org", "sent"), ("other.example.org", "failed")]
)
def test_a_webhook_over_tls_is_verified_against_the_name_not_the_number_dialled(
    riley, sam, sos, settings, monkeypatch, tmp_path, served_as, outcome
):
    settings.ALERT_WEBHOOK_ALLOW_PRIVATE = True
    hook_ladder(riley, sam, "https://hooks.example.org/circles")
    settings.ALERT_WEBHOOK_ALLOW_PRIVATE = False
    settings.ALERT_HTTP_TIMEOUT = 5
    cert_file, key_file = self_signed(tmp_path, served_as)
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(cert_file, key_file)
    names_asked, heads = [], []
    server_context.sni_callback = lambda connection, name, context: names_asked.append(name)
    listener = socket.create_server(("127.0.0.1", 0))

    def serve_once() -> None:
        connection, _ = listener.accept()
        connection.settimeout(5)
        try:
            with server_context.wrap_socket(connection, server_side=True) as tls:
                heads.append(tls.recv(65536).split(b"\r\n\r\n")[0])
                tls.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
        except (ssl.SSLError, OSError):
            connection.close()  # the client refused our certificate

    serving = threading.Thread(target=serve_once, daemon=True)
    serving.start()
    real_connect = socket.socket.connect
    monkeypatch.setattr(
        socket,
        "getaddrinfo",
        lambda host, port, *a, **k: [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (PUBLIC, port))],
    )
    # The public address checked is "reached" on loopback, where our server holds a certificate.
    monkeypatch.setattr(
        socket.socket,
        "connect",
        lambda sock, address: real_connect(sock, ("127.0.0.1", listener.getsockname()[1])),
    )
    trusting = ssl.create_default_context(cafile=cert_file)
    monkeypatch.setattr(outbound.ssl, "create_default_context", lambda: trusting)
    try:
        alert = sos()
        run_worker()
        serving.join(5)
    finally:
        listener.close()
    notification = alert.notifications.get(channel=logic.WEBHOOK)
    assert names_asked == ["hooks.example.org"]  # SNI names the host, not the address
    if outcome == "sent":
        assert notification.status == NotificationStatus.SENT
        [head] = heads
        assert head.startswith(b"POST /circles HTTP/1.1\r\n") and b"\r\nHost: hooks.example.org\r\n" in head
    else:
        assert notification.last_error.startswith("webhook: SSLCertVerificationError")
        assert heads == []


# --- The answer link -----------------------------------------------------------------------------------


def test_the_answer_token_round_trips():
    assert channels.read_answer_token(channels.answer_token(42)) == 42


@pytest.mark.parametrize(
    "make_token",
    [
        lambda: signing.dumps(42),  # no salt: signed for something else
        lambda: signing.dumps(42, salt="circles.accounts.invite"),
        lambda: signing.dumps("42", salt=channels.ANSWER_SALT),  # not a notification id
        lambda: signing.dumps([42], salt=channels.ANSWER_SALT),
        lambda: channels.answer_token(42) + "x",
        lambda: "",
    ],
    ids=["no-salt", "other-salt", "text", "list", "tampered", "empty"],
)
def test_a_token_signed_otherwise_is_refused(make_token):
    with pytest.raises(signing.BadSignature):
        channels.read_answer_token(make_token())


def test_the_answer_link_expires(settings):
    settings.ALERT_ANSWER_LINK_HOURS = 2
    start = timezone.now().replace(microsecond=0)  # the signature's timestamp is in whole seconds
    with time_machine.travel(start, tick=False):
        token = channels.answer_token(7)
    with time_machine.travel(start + dt.timedelta(hours=2), tick=False):
        assert channels.read_answer_token(token) == 7
    with time_machine.travel(start + dt.timedelta(hours=2, seconds=1), tick=False):
        with pytest.raises(signing.SignatureExpired):
            channels.read_answer_token(token)


def test_the_composed_link_answers_for_its_notification(email_ladder, sos, settings):
    alert = sos()
    notification = alert.notifications.get(channel=logic.EMAIL)
    outgoing = channels.compose(notification)
    assert outgoing.link.startswith(SITE + "/")
    assert channels.read_answer_token(answer_token_in(outgoing.link)) == notification.pk
    assert f"{settings.ALERT_ANSWER_LINK_HOURS} hours" in outgoing.text
    assert_minimum_necessary(outgoing.short, notification)


def test_a_name_with_an_apostrophe_and_an_ampersand_reads_as_written(email_ladder, sos, riley):
    # Plain text (a push title, an email subject, a text message) is not HTML: nothing is escaped.
    riley.display_name = "O'Brien & co"
    riley.save(update_fields=["display_name"])
    alert = sos()
    outgoing = channels.compose(alert.notifications.get(channel=logic.EMAIL))
    assert outgoing.subject == "O'Brien & co could use support now"
    assert "O'Brien & co could use support now" in outgoing.text
    assert "O'Brien & co could use support now" in outgoing.short
    assert "&amp;" not in outgoing.subject + outgoing.text + outgoing.short
    assert "&#x27;" not in outgoing.subject + outgoing.text + outgoing.short
