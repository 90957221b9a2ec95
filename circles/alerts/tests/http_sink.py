"""A small HTTP server on loopback that records what is posted to it and answers as it is told.

It stands in for Twilio and for a webhook receiver, so the alert channels are tested over a real socket.
"""

from __future__ import annotations

import email.parser
import socket
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True)
class Received:
    method: str
    path: str
    headers: Message  # case-insensitive lookups, as a receiver reads them
    body: bytes

    def form(self) -> dict[str, str]:
        """The body as form fields, each given once (as Twilio receives them)."""
        fields = urllib.parse.parse_qs(self.body.decode(), keep_blank_values=True, strict_parsing=True)
        assert all(len(values) == 1 for values in fields.values()), fields
        return {name: values[0] for name, values in fields.items()}


class HttpSink:
    """Records every request; answers each with the next status from `statuses`, then with `default`.

    A 3xx answer points its Location at `/elsewhere` on the same server, so a followed redirect
    would show up as a second request.
    """

    def __init__(self, default: int = 201) -> None:
        self.default = default
        self.statuses: list[int] = []
        self.requests: list[Received] = []
        self.connections = 0  # TCP connections accepted, whether or not they sent a request
        self._lock = threading.Lock()
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.sink = self
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.01}, name="http-sink", daemon=True
        )

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    def url(self, path: str = "/", scheme: str = "http") -> str:
        return f"{scheme}://127.0.0.1:{self.port}{path}"

    def start(self) -> HttpSink:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def _answer(self, received: Received) -> int:
        with self._lock:
            self.requests.append(received)
            return self.statuses.pop(0) if self.statuses else self.default

    def _connected(self) -> None:
        with self._lock:
            self.connections += 1


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    sink: HttpSink

    def verify_request(self, request, client_address) -> bool:
        self.sink._connected()
        return True


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        received = Received("POST", self.path, self.headers, self.rfile.read(length))
        status = self.server.sink._answer(received)
        body = b'{"status": %d}' % status
        self.send_response(status)
        if 300 <= status < 400:
            self.send_header("Location", self.server.sink.url("/elsewhere"))
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST  # a followed redirect may arrive as a GET (303)

    def log_message(self, format, *args) -> None:
        pass  # keep the test output quiet


class ScriptedServer:
    """A TCP server on loopback that reads each request, then answers with `answer(connection, stopping)`:
    for answers no well-behaved server gives (trickled a byte at a time, or without end).

    `outcomes` says how each answer ended: "finished", or "hung up" when the client closed first.
    """

    def __init__(self, answer: Callable[[socket.socket, threading.Event], None]) -> None:
        self.answer = answer
        self.stopping = threading.Event()
        self.requests: list[bytes] = []
        self.outcomes: list[str] = []
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.05)
        self._thread = threading.Thread(target=self._serve, name="scripted-server", daemon=True)

    @property
    def port(self) -> int:
        return self._listener.getsockname()[1]

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def start(self) -> ScriptedServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stops serving once every answer begun has ended (at most 5 s), so none is cut short here."""
        ends = time.monotonic() + 5
        while len(self.outcomes) < len(self.requests) and time.monotonic() < ends:
            time.sleep(0.01)
        self.stopping.set()
        self._thread.join()
        self._listener.close()

    def _serve(self) -> None:
        while not self.stopping.is_set():
            try:
                connection, _address = self._listener.accept()
            except TimeoutError:
                continue
            with connection:
                connection.settimeout(5)
                self.requests.append(_read_request(connection))
                try:
                    self.answer(connection, self.stopping)
                except OSError:
                    self.outcomes.append("hung up")
                else:
                    self.outcomes.append("finished")


def _read_request(connection: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = connection.recv(4096)
        if not chunk:
            return data
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = int(_headers_of(head).get("Content-Length") or 0)
    while len(body) < length:
        chunk = connection.recv(4096)
        if not chunk:
            break
        body += chunk
    return head + b"\r\n\r\n" + body


def _headers_of(head: bytes) -> Message:
    """The header fields of a request head (its first line left out)."""
    return email.parser.BytesHeaderParser().parsebytes(head.split(b"\r\n", 1)[1] + b"\r\n\r\n")
