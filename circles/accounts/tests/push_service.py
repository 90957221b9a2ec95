"""A browser's side of Web Push for tests: a device with its own keys, and a push service on loopback
that checks each request as a real one must (RFC 8292 VAPID token, RFC 8291 encryption) and decrypts it.
"""

from __future__ import annotations

import base64
import json
import os
import time
import urllib.parse
from dataclasses import dataclass

import http_ece
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from circles.accounts.actions import do_save_push_subscription
from circles.alerts.tests.http_sink import HttpSink, Received

SUBJECT = "mailto:push-test@circles.example"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def vapid_settings(settings) -> tuple[str, ec.EllipticCurvePrivateKey]:
    """Configures a fresh VAPID pair; returns (public key text, private key) for checking signatures."""
    key = ec.generate_private_key(ec.SECP256R1())
    public = b64url(
        key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
    )
    settings.VAPID_PUBLIC_KEY = public
    settings.VAPID_PRIVATE_KEY = b64url(key.private_numbers().private_value.to_bytes(32, "big"))
    settings.VAPID_SUBJECT = SUBJECT
    settings.PUSH_ALLOW_LOOPBACK = True
    return public, key


@dataclass
class Device:
    """A browser's keys: what PushManager.subscribe() makes and keeps to itself."""

    private_key: ec.EllipticCurvePrivateKey
    auth: bytes

    @classmethod
    def new(cls) -> Device:
        return cls(ec.generate_private_key(ec.SECP256R1()), os.urandom(16))

    @property
    def p256dh(self) -> str:
        return b64url(
            self.private_key.public_key().public_bytes(
                serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
            )
        )

    def subscription_json(self, endpoint: str, label: str = "") -> dict:
        """As PushSubscription.toJSON() gives it, with the label push.js adds."""
        data = {
            "endpoint": endpoint,
            "expirationTime": None,
            "keys": {"p256dh": self.p256dh, "auth": b64url(self.auth)},
        }
        if label:
            data["label"] = label
        return data

    def subscribe(self, user, endpoint: str, label: str = "Phone"):
        subscription, _created = do_save_push_subscription(
            user, endpoint=endpoint, p256dh=self.p256dh, auth=b64url(self.auth), label=label
        )
        return subscription

    def decrypt(self, body: bytes) -> dict:
        """The payload, decrypted as the browser does (RFC 8291, aes128gcm)."""
        return json.loads(
            http_ece.decrypt(body, private_key=self.private_key, auth_secret=self.auth, version="aes128gcm")
        )


def verify_vapid(received: Received, public_key: str, endpoint: str) -> dict:
    """Checks the Authorization header as a push service does (RFC 8292) and returns the token's claims.

    Verified here with cryptography alone, not with the library that signed it.
    """
    scheme, _, params = received.headers["Authorization"].partition(" ")
    assert scheme == "vapid", received.headers["Authorization"]
    fields = dict(part.strip().split("=", 1) for part in params.split(","))
    assert fields["k"] == public_key
    header_b64, claims_b64, signature_b64 = fields["t"].split(".")
    assert json.loads(unb64url(header_b64)) == {"typ": "JWT", "alg": "ES256"}
    signature = unb64url(signature_b64)
    assert len(signature) == 64
    der = encode_dss_signature(int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big"))
    key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64url(fields["k"]))
    try:
        key.verify(der, f"{header_b64}.{claims_b64}".encode(), ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:  # pragma: no cover — the assertion says what failed
        raise AssertionError("the VAPID token's signature does not verify") from None
    claims = json.loads(unb64url(claims_b64))
    parts = urllib.parse.urlsplit(endpoint)
    assert claims["aud"] == f"{parts.scheme}://{parts.netloc}"
    assert time.time() < claims["exp"] <= time.time() + 24 * 3600
    assert claims["sub"] == SUBJECT
    return claims


class PushService(HttpSink):
    """A push service on loopback: records each request and answers as told (201 by default)."""

    def endpoint(self, name: str = "device-1") -> str:
        return self.url(f"/push/{name}")
