"""Two-factor sign-in for the demo's professionals and organization administrator, whose roles need it.

Their authenticator secrets are fixed and public, so a newcomer can sign in as them from `make run`'s
output or `manage.py demo_totp`; they exist only in demo data, which production refuses to create.
"""

from base64 import b32encode

from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from circles.accounts.models import User

# 20 bytes each (the size django-otp makes), readable on purpose: these are demo-only, never secret.
DEMO_TOTP_SECRETS = {
    "casey@example.org": b"casey-demo-only-2fa!",
    "drew@example.org": b"drew-demo-only-2fa!!",
    "olivia@example.org": b"olivia-demo-only-2fa",
}
DEVICE_NAME = "Demo authenticator"
RECOVERY_CODES_PER_PERSON = 10


def demo_recovery_codes(user: User) -> list[str]:
    """Fixed recovery codes (each works once; `manage.py demo` gives them back)."""
    name = user.email.split("@")[0]
    return [f"demo{name}{number}" for number in range(1, RECOVERY_CODES_PER_PERSON + 1)]


def ensure_demo_twofactor(user: User) -> TOTPDevice:
    """Gives a demo person their fixed authenticator secret and recovery codes, as if they had enrolled."""
    key = DEMO_TOTP_SECRETS[user.email].hex()
    TOTPDevice.objects.filter(user=user).exclude(key=key, confirmed=True).delete()
    device, _created = TOTPDevice.objects.get_or_create(
        user=user, key=key, confirmed=True, defaults={"name": DEVICE_NAME}
    )
    StaticDevice.objects.filter(user=user).delete()
    recovery = StaticDevice.objects.create(user=user, name="Demo recovery codes", confirmed=True)
    StaticToken.objects.bulk_create(
        StaticToken(device=recovery, token=code) for code in demo_recovery_codes(user)
    )
    return device


def current_code(user: User) -> str:
    """The code the person's authenticator app would show right now."""
    device = TOTPDevice.objects.get(user=user, confirmed=True)
    number = totp(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{number:0{device.digits}d}"


def readable_secret(user: User) -> str:
    return b32encode(DEMO_TOTP_SECRETS[user.email]).decode().rstrip("=")


def describe(users: list[User]) -> str:
    """What `make run` prints: how to sign in as each of them."""
    lines = ["Two-factor sign-in (casey, drew and olivia need it: their roles read other people's records):"]
    for user in users:
        device = TOTPDevice.objects.get(user=user, confirmed=True)
        codes = demo_recovery_codes(user)
        lines += [
            f"  {user.email}: authenticator secret {readable_secret(user)}",
            f"    add to an app: {device.config_url}",
            f"    code right now: {current_code(user)}  (any time: python manage.py demo_totp {user.email})",
            f"    recovery codes: {codes[0]} … {codes[-1]} (each once; `manage.py demo` renews them)",
        ]
    return "\n".join(lines)
