"""Two-factor sign-in: a code from an authenticator app (TOTP) and ten one-time recovery codes.

django-otp keeps the devices: one confirmed TOTPDevice (the app) and one StaticDevice whose StaticTokens
are the recovery codes. A session is "verified" once a code was given in it (django_otp.login; the
OTPMiddleware then sets request.user.is_verified()). SecondFactorMiddleware (middleware.py) keeps a
session that owes a code, or an account that must enrol, away from everything else.

Audit codes: account.twofactor.enable, account.twofactor.disable, account.twofactor.recovery_code_used,
account.twofactor.recovery_codes_new, account.signin.second_factor_failed (denied).
"""

import enum
from base64 import b32encode
from dataclasses import dataclass
from datetime import datetime

import segno
from django.db import transaction
from django.db.models import Exists, OuterRef
from django_otp.models import Device
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from circles.accounts.models import Role, User
from circles.accounts.notices import send_account_notice
from circles.audit.models import Outcome
from circles.audit.trail import record

# Roles that read other people's records: their accounts must have a second factor.
ROLES_THAT_NEED_IT = (Role.Kind.PROFESSIONAL, Role.Kind.ORG_ADMIN)
RECOVERY_CODE_COUNT = 10
TOTP_DIGITS = 6
APP_DEVICE_NAME = "Authenticator app"
RECOVERY_DEVICE_NAME = "Recovery codes"


class SessionState(enum.Enum):
    FREE = "free"  # no second factor owed: verified, or an account without one that needs none
    OWES_CODE = "owes_code"  # has a second factor, not yet given in this session
    MUST_ENROL = "must_enrol"  # a role that needs a second factor, and none set up yet


def needs_second_factor(user: User) -> bool:
    """Whether this account's roles require two-factor sign-in: professionals, organization
    administrators, and deployment administrators (who change what every member sees)."""
    return user.is_superuser or any(user.has_role(kind) for kind in ROLES_THAT_NEED_IT)


def app_device(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def has_second_factor(user: User) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def recovery_codes_left(user: User) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def session_state(request) -> SessionState:
    """What this signed-in session still owes. One query, and none once the session is verified."""
    user = request.user
    is_verified = getattr(user, "is_verified", None)
    if is_verified is not None and is_verified():
        return SessionState.FREE
    flags = (
        User.objects.filter(pk=user.pk)
        .annotate(
            has_app=Exists(TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)),
            must=Exists(Role.objects.filter(user=OuterRef("pk"), kind__in=ROLES_THAT_NEED_IT)),
        )
        .values_list("has_app", "must")
        .first()
    )
    if flags is None:
        return SessionState.FREE
    has_app, must = flags
    if has_app:
        return SessionState.OWES_CODE
    return SessionState.MUST_ENROL if must or user.is_superuser else SessionState.FREE


# --- Enrolment


def pending_app_device(user: User) -> TOTPDevice:
    """The not-yet-confirmed secret being set up: the same one on every visit until it is confirmed."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=APP_DEVICE_NAME, confirmed=False)
    return device


def readable_key(device: TOTPDevice) -> str:
    """The secret as an app asks for it when typed in: base32, in groups of four."""
    key = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(key[i : i + 4] for i in range(0, len(key), 4))


def qr_code_data_uri(device: TOTPDevice) -> str:
    """The otpauth:// address as a QR code: an SVG data: address, drawn here (no script, nothing fetched)."""
    code = segno.make(device.config_url, error="m", micro=False)
    return code.svg_data_uri(scale=4, dark="#000", light="#fff")


def _new_recovery_codes(user: User) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY_DEVICE_NAME, confirmed=True)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes


@transaction.atomic
def do_enable_twofactor(device: TOTPDevice, *, acting_user: User) -> list[str]:
    """Confirms the app whose code was just checked and returns new recovery codes (shown once)."""
    user = device.user
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    codes = _new_recovery_codes(user)
    record("account.twofactor.enable", acting_user, subject=user)
    send_account_notice(user, "twofactor_enabled")
    return codes


@transaction.atomic
def do_disable_twofactor(user: User, *, acting_user: User) -> None:
    """Removes the app and the recovery codes: the password alone signs in again."""
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    record("account.twofactor.disable", acting_user, subject=user)
    send_account_notice(user, "twofactor_disabled", {"still_needed": needs_second_factor(user)})


@transaction.atomic
def do_renew_recovery_codes(user: User, *, acting_user: User) -> list[str]:
    """Replaces every recovery code, used or not, with ten new ones (shown once)."""
    codes = _new_recovery_codes(user)
    record("account.twofactor.recovery_codes_new", acting_user, subject=user)
    send_account_notice(user, "twofactor_recovery_codes_new")
    return codes


# --- Checking a code


@dataclass(frozen=True)
class CodeCheck:
    device: Device | None = None  # the device that accepted the code
    used_recovery_code: bool = False
    wait_until: datetime | None = None  # set when too many wrong codes ask for a pause first
    just_used: bool = False  # the right code for now, but it has been used once already

    @property
    def accepted(self) -> bool:
        return self.device is not None


def normalize_code(code: str) -> str:
    """People type codes with spaces or dashes ("123 456", "abcd-efgh"); the devices store neither."""
    return "".join(code.split()).replace("-", "").lower()


def check_code(user: User, code: str) -> CodeCheck:
    """Checks a code from the app or a recovery code, with django-otp's throttling.

    Each wrong code doubles the wait before the next try on that device (1, 2, 4, 8… seconds), so
    guessing a six-digit code is hopeless. A recovery code works once: django-otp deletes it on use,
    and its use is audited and emailed.
    """
    code = normalize_code(code)
    model: type[TOTPDevice] | type[StaticDevice]
    model = TOTPDevice if code.isdigit() and len(code) == TOTP_DIGITS else StaticDevice
    with transaction.atomic():
        device = model.objects.select_for_update().filter(user=user, confirmed=True).first()
        if device is None or not code:
            return CodeCheck()
        allowed, why = device.verify_is_allowed()
        if not allowed:
            return CodeCheck(wait_until=(why or {}).get("locked_until"))
        if not device.verify_token(code):
            return CodeCheck(just_used=isinstance(device, TOTPDevice) and _was_just_used(device, code))
        if isinstance(device, StaticDevice):
            left = device.token_set.count()
            record("account.twofactor.recovery_code_used", user, subject=user, object_ref=f"left:{left}")
            send_account_notice(user, "twofactor_recovery_code_used", {"codes_left": left})
            return CodeCheck(device=device, used_recovery_code=True)
        return CodeCheck(device=device)


def _was_just_used(device: TOTPDevice, code: str) -> bool:
    """Whether the code is right for this moment but was used already (django-otp accepts each code once):
    typical right after setting it up, or signing in twice within 30 seconds."""
    checker = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return device.last_t >= checker.t() - device.tolerance and checker.verify(int(code), device.tolerance)


def check_pending_code(device: TOTPDevice, code: str) -> CodeCheck:
    """Checks the first code from an app being set up (throttled like any other)."""
    code = normalize_code(code)
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().get(pk=device.pk)
        allowed, why = device.verify_is_allowed()
        if not allowed:
            return CodeCheck(wait_until=(why or {}).get("locked_until"))
        if code.isdigit() and device.verify_token(code):
            return CodeCheck(device=device)
        if not code.isdigit():
            device.throttle_increment()
        return CodeCheck()


def record_failed_sign_in_code(user: User) -> None:
    record("account.signin.second_factor_failed", user, subject=user, outcome=Outcome.DENIED)
