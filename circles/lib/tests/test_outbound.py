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


@pytest.mark.parametrize(
    "address",
    [
        "::127.0.0.1",  # IPv4-compatible: this machine
        "::a00:7",  # IPv4-compatible: 10.0.0.7
        "::8.8.8.8",  # IPv4-compatible at all (deprecated; nothing public is reached this way)
        "::ffff:127.0.0.1",  # IPv4-mapped
        "::ffff:169.254.169.254",  # IPv4-mapped: a cloud's metadata service
        "::ffff:0:a00:7",  # IPv4-translated
        "64:ff9b::7f00:1",  # NAT64 to 127.0.0.1
        "64:ff9b::a00:7",  # NAT64 to 10.0.0.7
        "64:ff9b:1::808:808",  # local-use NAT64
        "2002:7f00:1::1",  # 6to4 around 127.0.0.1
        "2002:a00:7::1",  # 6to4 around 10.0.0.7
    ],
)
def test_ipv6_forms_of_a_private_ipv4_address_are_refused(address):
    """Python's is_global took all of these for public addresses (3.11)."""
    assert not outbound._allowed(address, loopback_ok=False)
    assert not outbound._allowed(address, loopback_ok=True)


@pytest.mark.parametrize(
    "address", ["2001:4860:4860::8888", "::ffff:8.8.8.8", "64:ff9b::808:808", "2002:808:808::1", "8.8.8.8"]
)
def test_public_addresses_pass_in_any_of_those_forms(address):
    assert outbound._allowed(address, loopback_ok=False)


def test_an_ipv6_answer_in_one_of_those_forms_is_refused_before_connecting(monkeypatch):
    dialled = []
    monkeypatch.setattr(
        socket,
        "getaddrinfo",
        lambda host, port, *a, **k: [
            (socket.AF_INET6, socket.SOCK_STREAM, 6, "", ("::127.0.0.1", port, 0, 0))
        ],
    )
    monkeypatch.setattr(socket.socket, "connect", lambda sock, address: dialled.append(address))
    with pytest.raises(outbound.OutboundFailed, match="not on the public internet") as refused:
        outbound.post("https://push.example.net/x", b"", {}, "push", timeout=5, public_only=True)
    assert refused.value.permanent and dialled == []
