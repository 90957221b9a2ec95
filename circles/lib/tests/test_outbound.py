"""Which addresses outbound HTTP refuses before connecting (the rest is tested through the webhook and
push channels, over real sockets)."""

import socket

import pytest

from circles.lib import outbound


@pytest.fixture
def resolves_to(monkeypatch):
    dialled = []

    def point(address: str) -> list:
        monkeypatch.setattr(
            socket,
            "getaddrinfo",
            lambda host, port, *a, **k: [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))],
        )
        return dialled

    def connect(sock, address):
        dialled.append(address)
        raise ConnectionRefusedError("nothing listens here in the test")

    monkeypatch.setattr(socket.socket, "connect", connect)
    return point


@pytest.mark.parametrize(
    ("url", "address", "loopback_ok", "refusal"),
    [
        ("https://push.example.net/x", "10.0.0.7", True, "the address is not on the public internet"),
        ("https://push.example.net/x", "127.0.0.1", False, "the address is not on the public internet"),
        ("https://push.example.net/x", "169.254.169.254", True, "the address is not on the public internet"),
        ("http://push.example.net/x", "93.184.215.14", False, "only https addresses are allowed"),
        ("http://push.example.net/x", "93.184.215.14", True, "only https addresses are allowed"),
        ("ftp://push.example.net/x", "93.184.215.14", True, "not an http(s) address"),
    ],
)
def test_refused_before_connecting(resolves_to, url, address, loopback_ok, refusal):
    dialled = resolves_to(address)
    with pytest.raises(outbound.OutboundFailed) as refused:
        outbound.post(url, b"", {}, "push", timeout=5, public_only=True, loopback_ok=loopback_ok)
    assert str(refused.value) == f"push: {refusal}"
    assert refused.value.permanent and dialled == []


@pytest.mark.parametrize(
    ("url", "address"),
    [("http://127.0.0.1:9/x", "127.0.0.1"), ("https://push.example.net/x", "93.184.215.14")],
)
def test_allowed_addresses_are_dialled_exactly(resolves_to, url, address):
    dialled = resolves_to(address)
    with pytest.raises(outbound.OutboundFailed, match="ConnectionRefusedError") as failed:
        outbound.post(url, b"", {}, "push", timeout=5, public_only=True, loopback_ok=True)
    assert failed.value.destination_trouble and not failed.value.permanent
    assert dialled == [(address, 9 if ":9/" in url else 443)]
