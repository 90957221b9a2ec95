"""People and what they may do: accounts, roles, personal access tokens, devices that get push."""

import base64
import binascii
import hashlib
import ipaddress
import secrets
import urllib.parse
import uuid
from datetime import timedelta

from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.crypto import salted_hmac
from django.utils.timezone import now
from django.utils.translation import gettext_lazy as _

from circles.lib.validators import refuse_invisible_characters


def default_timezone() -> str:
    return settings.DEFAULT_USER_TIMEZONE


def new_session_secret() -> str:
    return uuid.uuid4().hex


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email, password=None, **fields):
        if not email:
            raise ValueError("An email address is required")
        fields.setdefault("email_verified_at", now())
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def get_by_natural_key(self, username):
        # Addresses are stored lower-cased, so "Riley@Example.org" signs in as riley@example.org.
        return self.get(**{self.model.USERNAME_FIELD: (username or "").strip().lower()})

    def create_superuser(self, email, password=None, **fields):
        fields.setdefault("is_staff", True)
        fields.setdefault("is_superuser", True)
        return self.create_user(email, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    """An account. Signs in with an email address; may hold several roles."""

    email = models.EmailField(_("email address"), unique=True, max_length=254)
    display_name = models.CharField(
        _("name you go by"), max_length=80, validators=[refuse_invisible_characters]
    )
    timezone = models.CharField(_("timezone"), max_length=64, default=default_timezone)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=now)
    # Set when the person follows the link emailed at sign-up (or resets the password by email); until
    # then the account cannot sign in. Accounts made by staff or the demo are verified when made.
    email_verified_at = models.DateTimeField(null=True, blank=True)
    # Part of every session's auth hash: replacing it signs the account out on every device.
    session_secret = models.CharField(max_length=64, default=new_session_secret, editable=False)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["display_name"]

    def __str__(self) -> str:
        return self.display_name or self.email

    def get_short_name(self) -> str:
        return self.display_name

    def _get_session_auth_hash(self, secret=None):
        key_salt = "circles.accounts.User.session_auth_hash"
        return salted_hmac(
            key_salt, f"{self.password}:{self.session_secret}", secret=secret, algorithm="sha256"
        ).hexdigest()

    def has_role(self, kind: str) -> bool:
        return any(role.kind == kind for role in self.roles.all())

    @property
    def role_kinds(self) -> list[str]:
        return sorted(role.kind for role in self.roles.all())


class Role(models.Model):
    """One capacity in which a person uses Circles. A person may hold several.

    Later capabilities add kinds to RoleKind; existing rows keep their meaning.
    """

    class Kind(models.TextChoices):
        MEMBER = "member", _("Person in recovery")
        SUPPORTER = "supporter", _("Supporter")
        PROFESSIONAL = "professional", _("Professional")
        ORG_ADMIN = "org_admin", _("Organization administrator")

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="roles")
    kind = models.CharField(max_length=32, choices=Kind.choices)
    granted_at = models.DateTimeField(default=now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="unique_role_per_user")]

    def __str__(self) -> str:
        return f"{self.user} as {self.kind}"


TOKEN_PREFIX = "circ_"  # noqa: S105 — a visible prefix, not a secret


def hash_token(raw: str) -> str:
    # Tokens carry 256 bits of randomness, so a plain SHA-256 is enough to make a stolen table useless.
    return hashlib.sha256(raw.encode()).hexdigest()


class PersonalAccessTokenQuerySet(models.QuerySet["PersonalAccessToken"]):
    def live(self):
        return self.filter(revoked_at__isnull=True, expires_at__gt=now())


def default_token_expiry():
    return now() + timedelta(days=settings.TOKEN_DEFAULT_DAYS)


class PersonalAccessToken(models.Model):
    """A token for the API. Only its hash is stored; the token itself is shown once.

    A token expires, may be limited to reading, and stops working when its owner revokes it, changes or
    resets the password, or signs out everywhere. It can never make another token.
    """

    class Scope(models.TextChoices):
        READ = "read", _("Read only")
        WRITE = "write", _("Read and change")

    class RevokedBecause(models.TextChoices):
        OWNER = "owner", _("revoked by you")
        PASSWORD_CHANGE = "password_change", _("your password was changed")
        PASSWORD_RESET = "password_reset", _("your password was reset")
        SIGN_OUT_EVERYWHERE = "sign_out_everywhere", _("you signed out everywhere")

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="tokens")
    name = models.CharField(_("name"), max_length=80)
    token_hash = models.CharField(max_length=64, unique=True)
    hint = models.CharField(max_length=12)
    scope = models.CharField(max_length=8, choices=Scope.choices, default=Scope.READ)
    created_at = models.DateTimeField(default=now)
    expires_at = models.DateTimeField(default=default_token_expiry)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_because = models.CharField(max_length=24, choices=RevokedBecause.choices, blank=True)

    objects = PersonalAccessTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.hint}…)"

    @staticmethod
    def generate() -> tuple[str, str]:
        """Returns (token, hash)."""
        raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
        return raw, hash_token(raw)

    @property
    def is_live(self) -> bool:
        return self.revoked_at is None and self.expires_at > now()

    @property
    def can_write(self) -> bool:
        return self.scope == self.Scope.WRITE


class PendingAccountEmail(models.Model):
    """An email about signing in, waiting for the worker: the link to confirm an address, a password
    reset link, or "someone tried to sign up with your address".

    The request that asks for one does the same work whether or not the address has an account (one
    INSERT), so neither its answer nor its timing tells an outsider which addresses are registered. The
    worker looks the account up, makes the link at sending time, and deletes the row once sent.
    """

    class Kind(models.TextChoices):
        VERIFY_ADDRESS = "verify_address"
        PASSWORD_RESET = "password_reset"  # noqa: S105 — a kind of email, not a password

    kind = models.CharField(max_length=20, choices=Kind.choices)
    address = models.EmailField(max_length=254)
    # Where to go after confirming (an invitation link); checked to be on this site before it is stored.
    next_path = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=now)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=now)

    class Meta:
        indexes = [models.Index(fields=["next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk}"


def decode_base64url(value: str) -> bytes:
    """Bytes from base64url text with or without padding; raises ValueError on anything else."""
    text = value.strip()
    if not text or any(char not in _BASE64URL for char in text.rstrip("=")):
        raise ValueError("not base64url")
    try:
        return base64.urlsafe_b64decode(text.rstrip("=") + "=" * (-len(text.rstrip("=")) % 4))
    except (binascii.Error, ValueError) as error:
        raise ValueError("not base64url") from error


_BASE64URL = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def is_loopback_host(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def validate_push_endpoint(value: str) -> None:
    """An https address (a browser's push service); plain http only on this machine where allowed."""
    try:
        parts = urllib.parse.urlsplit(value)
        host = parts.hostname or ""
        parts.port  # noqa: B018 — raises ValueError on a port that is not a number
    except ValueError:
        raise ValidationError(_("This is not a push service address."), code="invalid") from None
    if not host or any(ord(char) < 0x21 or ord(char) == 0x7F for char in value):
        raise ValidationError(_("This is not a push service address."), code="invalid")
    if settings.PUSH_ALLOW_LOOPBACK and is_loopback_host(host) and parts.scheme in ("http", "https"):
        return
    if parts.scheme != "https":
        raise ValidationError(_("A push service address must start with https://."), code="https")


def validate_p256dh(value: str) -> None:
    """The browser's public key: a point on P-256, uncompressed (65 bytes, base64url)."""
    try:
        raw = decode_base64url(value)
        if len(raw) != 65 or raw[0] != 4:
            raise ValueError("not an uncompressed point")
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), raw)
    except ValueError:
        raise ValidationError(_("The browser's key (p256dh) is not a valid key."), code="invalid") from None


def validate_auth_secret(value: str) -> None:
    """The browser's authentication secret: 16 bytes, base64url."""
    try:
        valid = len(decode_base64url(value)) == 16
    except ValueError:
        valid = False
    if not valid:
        raise ValidationError(_("The browser's secret (auth) is not 16 bytes of base64url."), code="invalid")


class PushSubscription(models.Model):
    """One browser on one device that may be sent Web Push notifications (docs/push.md).

    The endpoint is the push service's address for this browser, a capability in itself; p256dh and auth
    are the browser's keys that every payload is encrypted to (RFC 8291). An endpoint belongs to one
    account at a time: on a shared phone it moves to whoever subscribed last.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="push_subscriptions")
    endpoint = models.URLField(
        _("push service address"), max_length=1000, unique=True, validators=[validate_push_endpoint]
    )
    p256dh = models.CharField(max_length=100, validators=[validate_p256dh])
    auth = models.CharField(max_length=40, validators=[validate_auth_secret])
    label = models.CharField(_("device"), max_length=80, blank=True, validators=[refuse_invisible_characters])
    created_at = models.DateTimeField(default=now)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.label or f"device #{self.pk}"

    @property
    def service_host(self) -> str:
        """The push service's host name (shown to the person; the delivery's destination key)."""
        return (urllib.parse.urlsplit(self.endpoint).hostname or "").lower()
