"""A real SMTP server on loopback that keeps what it accepts: for the alert fault tests and bench/alerts.py.

It listens on one port for its whole life and can be stopped and started again on it, to play a mail
server that is down for a while and then back. Addresses in `refuse` get a 550 at RCPT, as a mail
server answers for a mailbox that does not exist. `hold()` makes it stall at the end of each message,
unanswered, until `release()`.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from email.parser import BytesHeaderParser

from aiosmtpd.controller import Controller

DELIVERY_HEADER = "X-Circles-Delivery"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass(frozen=True)
class Received:
    """One message the server accepted (answered 250 to its DATA)."""

    delivery: str  # the X-Circles-Delivery header: the notification's idempotency key ("" if absent)
    recipients: tuple[str, ...]
    size: int  # bytes of the message as sent
    at: float  # time.monotonic() when it was accepted


class _Handler:
    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802 — aiosmtpd's hook name
        if address.lower() in self.sink.refuse:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 — aiosmtpd's hook name
        if not self.sink._released.is_set():
            self.sink._holding(+1)
            while not self.sink._released.is_set():
                await asyncio.sleep(0.01)
            self.sink._holding(-1)
        content = envelope.original_content or envelope.content or b""
        headers = BytesHeaderParser().parsebytes(content)
        self.sink._record(
            Received(
                delivery=str(headers.get(DELIVERY_HEADER, "")).strip(),
                recipients=tuple(envelope.rcpt_tos),
                size=len(content),
                at=time.monotonic(),
            )
        )
        return "250 Message accepted for delivery"


class SmtpSink:
    """`with SmtpSink() as sink:` … `sink.stop()` (connections are refused) … `sink.start()` (back)."""

    def __init__(self, port: int = 0, *, refuse: Iterable[str] = ()) -> None:
        self.port = port or free_port()
        self.refuse = frozenset(address.lower() for address in refuse)
        self._received: list[Received] = []
        self._changed = threading.Condition()
        self._controller: Controller | None = None
        self._released = threading.Event()
        self._released.set()
        self._held = 0
        logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every connection at INFO

    # --- Up and down ---

    def start(self) -> SmtpSink:
        if self._controller is None:
            # A fresh controller each time: a stopped one has closed its event loop.
            controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port, ready_timeout=10)
            controller.start()
            self._controller = controller
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @property
    def running(self) -> bool:
        return self._controller is not None

    def __enter__(self) -> SmtpSink:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def hold(self) -> None:
        """From now on each message waits, unanswered, at the end of its DATA until `release()`."""
        self._released.clear()

    def release(self) -> None:
        self._released.set()

    def _holding(self, change: int) -> None:
        with self._changed:
            self._held += change
            self._changed.notify_all()

    def wait_until_holding(self, count: int, timeout: float) -> bool:
        """Waits until `count` messages are being held; False on timeout."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while self._held < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._changed.wait(left)
            return True

    # --- What arrived ---

    def _record(self, message: Received) -> None:
        with self._changed:
            self._received.append(message)
            self._changed.notify_all()

    @property
    def received(self) -> list[Received]:
        with self._changed:
            return list(self._received)

    def count(self) -> int:
        with self._changed:
            return len(self._received)

    def deliveries(self) -> Counter[str]:
        """How many times each delivery key arrived."""
        return Counter(message.delivery for message in self.received)

    def wait_until(self, condition: Callable[[list[Received]], bool], timeout: float) -> bool:
        """Waits until `condition(received)` holds (checked on every arrival); False on timeout."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while not condition(self._received):
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._changed.wait(left)
            return True

    def wait_for_more(self, than: int, timeout: float) -> bool:
        """Waits until more than `than` messages have arrived; False on timeout."""
        return self.wait_until(lambda received: len(received) > than, timeout)
