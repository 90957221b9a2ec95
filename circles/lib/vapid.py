"""VAPID keys (RFC 8292) for Web Push: making a pair and checking one, as base64url text.

The public key is the uncompressed P-256 point (65 bytes) that browsers take as applicationServerKey;
the private key is the raw 32-byte scalar. Signing each push is circles/accounts/push.py's (py_vapid).
"""

import base64
import binascii
import re

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import Vapid

_SUBJECT = re.compile(r"^(mailto:[^@\s]+@[^@\s]+|https://[^\s/]+(/\S*)?)$")


class VapidKeyError(ValueError):
    pass


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64url(text: str, name: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise VapidKeyError(f"{name} is not base64url text (`manage.py make_vapid_keys` makes one)") from None


def public_key_of(private_key: ec.EllipticCurvePrivateKey) -> str:
    point = private_key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return b64url(point)


def make_vapid_keys() -> tuple[str, str]:
    """A new pair: (public key, private key)."""
    vapid = Vapid()
    vapid.generate_keys()
    scalar = vapid.private_key.private_numbers().private_value.to_bytes(32, "big")
    return public_key_of(vapid.private_key), b64url(scalar)


def private_key_from(text: str) -> ec.EllipticCurvePrivateKey:
    raw = _unb64url(text, "VAPID_PRIVATE_KEY")
    if len(raw) != 32:
        raise VapidKeyError("VAPID_PRIVATE_KEY must be 32 bytes in base64url (`manage.py make_vapid_keys`)")
    try:
        return ec.derive_private_key(int.from_bytes(raw, "big"), ec.SECP256R1())
    except ValueError:
        raise VapidKeyError("VAPID_PRIVATE_KEY is not a P-256 private key") from None


def check_vapid_keys(public: str, private: str, subject: str) -> None:
    """Raises VapidKeyError, saying what is wrong, unless the three settings make a working set."""
    key = private_key_from(private)
    if _unb64url(public, "VAPID_PUBLIC_KEY") != _unb64url(public_key_of(key), "VAPID_PUBLIC_KEY"):
        raise VapidKeyError("VAPID_PUBLIC_KEY is not the public key of VAPID_PRIVATE_KEY")
    if not _SUBJECT.match(subject):
        raise VapidKeyError("VAPID_SUBJECT must be a mailto: address or an https:// address")
