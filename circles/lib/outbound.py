"""Outbound HTTP to addresses that come from outside: webhooks, Twilio, browsers' push services.

A small HTTP/1.1 client of our own rather than urllib (or requests), because such a request must hold
three promises that those cannot keep: the connection goes to the very address that was checked (urllib
would look the name up again, and a second answer could point inside the network), the whole send ends
at one deadline (a socket timeout restarts with every byte a slow server trickles), and only a few bytes
of the answer are read. Only the status line matters; the rest of the answer is never read.
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
import threading
import time
import urllib.parse

ANSWER_BYTES_MAX = 8192  # the status line fits many times over; a longer answer is not one we can use
_TARGET_SAFE = "".join(chr(c) for c in range(0x21, 0x7F))  # printable ASCII stays; anything else escaped


class OutboundFailed(Exception):
    """No usable answer. `permanent`: retrying cannot help (a bad or refused address).

    `destination_trouble`: the fault lies with the host (no answer in time, no connection, garbage),
    not with this one request.
    """

    def __init__(self, message: str, *, permanent: bool = False, destination_trouble: bool = False):
        super().__init__(message)
        self.permanent = permanent
        self.destination_trouble = destination_trouble


def _remaining(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError("deadline passed")
    return left


def _resolve(host: str, port: int, deadline: float) -> list[tuple]:
    """Every address of the host, looked up once, within the deadline (a lookup has no timeout of its own)."""
    found: list[tuple] = []
    failed: list[OSError] = []

    def look_up() -> None:
        try:
            found.extend(socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP))
        except OSError as error:
            failed.append(error)

    lookup = threading.Thread(target=look_up, name="outbound-dns", daemon=True)
    lookup.start()
    lookup.join(_remaining(deadline))
    if lookup.is_alive():
        raise TimeoutError("the address lookup took too long")
    if failed:
        raise failed[0]
    if not found:
        raise OSError(f"no address for {host}")
    return found


def _connect(addresses: list[tuple], deadline: float) -> socket.socket:
    """A TCP connection to the first of these addresses that answers; never to any other."""
    last_error: OSError = OSError("no address to connect to")
    for family, kind, proto, _name, address in addresses:
        sock = socket.socket(family, kind, proto)
        try:
            sock.settimeout(_remaining(deadline))
            sock.connect(address)
        except TimeoutError:
            sock.close()
            raise
        except OSError as error:
            sock.close()
            last_error = error
        else:
            return sock
    raise last_error


def read_status(sock: socket.socket, deadline: float, what: str) -> int:
    """The status code of the final answer, reading at most ANSWER_BYTES_MAX bytes before the deadline."""
    data = b""
    received = 0
    while True:
        line_end = data.find(b"\r\n")
        if line_end >= 0:
            status = _status_code(data[:line_end], what)
            if not 100 <= status < 200:
                return status
            head_end = data.find(b"\r\n\r\n")
            if head_end >= 0:  # an interim answer ("100 Continue"): the final one follows it
                data = data[head_end + 4 :]
                continue
        if received >= ANSWER_BYTES_MAX:
            raise OutboundFailed(f"{what}: the answer was longer than {ANSWER_BYTES_MAX} bytes")
        sock.settimeout(_remaining(deadline))
        chunk = sock.recv(min(4096, ANSWER_BYTES_MAX - received))
        if not chunk:
            raise OutboundFailed(f"{what}: the connection closed without an answer", destination_trouble=True)
        received += len(chunk)
        data += chunk


def _status_code(line: bytes, what: str) -> int:
    version, _, rest = line.partition(b" ")
    code = rest[:3]
    if (
        not version.startswith(b"HTTP/1.")
        or len(code) != 3
        or not code.isdigit()
        or rest[3:4] not in (b"", b" ")
    ):
        raise OutboundFailed(f"{what}: the answer was not HTTP")
    return int(code)


# IPv6 ranges that carry an IPv4 address inside, which Python's is_global (3.11) takes for public
# whatever the IPv4 address is: "::127.0.0.1" or "64:ff9b::a00:7" reaches this machine or a private
# network through the system's own translation. The embedded address must pass on its own.
_NAT64 = ipaddress.ip_network("64:ff9b::/96")  # RFC 6052, the well-known prefix
_REFUSED_V6 = (
    ipaddress.ip_network("::/96"),  # IPv4-compatible (deprecated, RFC 4291); :: and ::1 are in it too
    ipaddress.ip_network("::ffff:0:0:0/96"),  # IPv4-translated (SIIT, RFC 2765)
    ipaddress.ip_network("64:ff9b:1::/48"),  # local-use NAT64 (RFC 8215): a private network's own
)


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if ip.ipv4_mapped is not None:  # ::ffff:a.b.c.d
        return ip.ipv4_mapped
    if ip.sixtofour is not None:  # 2002:aabb:ccdd::/48 (6to4, RFC 3056)
        return ip.sixtofour
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def _allowed(address: str, loopback_ok: bool) -> bool:
    ip = ipaddress.ip_address(address)
    if loopback_ok and ip.is_loopback:
        return True
    if isinstance(ip, ipaddress.IPv6Address):
        if any(ip in network for network in _REFUSED_V6):
            return False
        if (inner := _embedded_ipv4(ip)) is not None:
            return inner.is_global
    return ip.is_global


def post(
    url: str,
    body: bytes,
    headers: dict[str, str],
    what: str,
    *,
    timeout: float,
    public_only: bool = False,
    loopback_ok: bool = False,
) -> int:
    """POSTs the body within `timeout` seconds in all and returns the answer's status code.

    Raises OutboundFailed when there is no answer to return. Redirects are not followed.
    `public_only` refuses, before connecting, an address on this machine or a private network
    (server-side request forgery), and then connects to exactly the address it checked; with
    `loopback_ok` this machine's own addresses pass too, over http or https (tests and development).
    """
    deadline = time.monotonic() + timeout
    try:
        parts = urllib.parse.urlsplit(url)
        hostname, port = parts.hostname, parts.port
        ascii_host = hostname.encode("idna").decode("ascii") if hostname else ""
    except (ValueError, UnicodeError):
        raise OutboundFailed(f"{what}: not a valid address", permanent=True) from None
    if parts.scheme not in ("https", "http") or not ascii_host:
        raise OutboundFailed(f"{what}: not an http(s) address", permanent=True)
    if public_only and parts.scheme != "https" and not loopback_ok:
        raise OutboundFailed(f"{what}: only https addresses are allowed", permanent=True)
    default_port = 443 if parts.scheme == "https" else 80
    port = port or default_port
    try:
        addresses = _resolve(ascii_host, port, deadline)
        if public_only:
            found = [info[4][0] for info in addresses]
            if not all(_allowed(address, loopback_ok) for address in found):
                raise OutboundFailed(f"{what}: the address is not on the public internet", permanent=True)
            if parts.scheme != "https" and not all(ipaddress.ip_address(a).is_loopback for a in found):
                raise OutboundFailed(f"{what}: only https addresses are allowed", permanent=True)
        host_header = f"[{ascii_host}]" if ":" in ascii_host else ascii_host
        if port != default_port:
            host_header += f":{port}"
        target = urllib.parse.quote(parts.path or "/", safe=_TARGET_SAFE)
        if parts.query:
            target += "?" + urllib.parse.quote(parts.query, safe=_TARGET_SAFE)
        head = [f"POST {target} HTTP/1.1", f"Host: {host_header}", f"Content-Length: {len(body)}"]
        head += ["Connection: close", *(f"{name}: {value}" for name, value in headers.items())]
        request = ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body
        sock = _connect(addresses, deadline)
        try:
            if parts.scheme == "https":
                # The certificate is checked against the name in the address, not the number we dialled.
                sock.settimeout(_remaining(deadline))  # the whole handshake, not each of its reads
                sock = ssl.create_default_context().wrap_socket(sock, server_hostname=ascii_host)
            sock.settimeout(_remaining(deadline))  # sendall: the whole body, not each piece
            sock.sendall(request)
            return read_status(sock, deadline, what)
        finally:
            sock.close()
    except TimeoutError as error:
        raise OutboundFailed(f"{what}: no answer within {timeout:g} s", destination_trouble=True) from error
    except OSError as error:  # refused, reset, unreachable, TLS: retry later
        raise OutboundFailed(f"{what}: {type(error).__name__}: {error}", destination_trouble=True) from error
