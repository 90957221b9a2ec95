"""What the accounts app keeps about a person: the account, its roles, tokens, sign-ins and the devices
that get push
(circles/lib/personal_data.py; export and erasure are circles/records)."""

from axes.models import AccessAttempt, AccessAttemptExpiration, AccessFailureLog, AccessLog
from django.contrib.auth.models import Group, Permission
from django.contrib.sessions.models import Session
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from circles.accounts.models import PendingAccountEmail, PersonalAccessToken, PushSubscription, Role, User
from circles.lib.fhir import urn
from circles.lib.personal_data import PersonalData, Row, row


def profile(user: User) -> list[Row]:
    # Never the password hash or the session secret.
    return [
        row(
            user,
            ["id", "email", "display_name", "timezone", "date_joined", "email_verified_at", "last_login"],
        )
    ]


def roles(user: User) -> list[Row]:
    return [row(role, ["kind", "granted_at"]) for role in Role.objects.filter(user=user).order_by("id")]


def access_tokens(user: User) -> list[Row]:
    # Never the token's hash: only what the tokens page shows.
    return [
        row(
            token,
            [
                "id",
                "name",
                "hint",
                "scope",
                "created_at",
                "expires_at",
                "last_used_at",
                "revoked_at",
                "revoked_because",
            ],
        )
        for token in PersonalAccessToken.objects.filter(user=user).order_by("id")
    ]


def push_devices(user: User) -> list[Row]:
    """The browsers that get notifications: which device, and which push service relays to it. Never the
    endpoint or the keys, which would let whoever holds the download push to that browser."""
    return [
        row(
            subscription,
            ["id", "label", "created_at", "last_used_at"],
            push_service=subscription.service_host,
        )
        for subscription in PushSubscription.objects.filter(user=user).order_by("id")
    ]


def two_factor_sign_in(user: User) -> list[Row]:
    """The authenticator app set up for the account; never its secret."""
    return [
        row(device, ["name", "confirmed", "created_at", "last_used_at"])
        for device in TOTPDevice.objects.filter(user=user).order_by("id")
    ]


def recovery_codes(user: User) -> list[Row]:
    """The set of one-time recovery codes: how many are left, never the codes."""
    return [
        row(device, ["name", "created_at", "last_used_at"], codes_left=device.token_set.count())
        for device in StaticDevice.objects.filter(user=user).order_by("id")
    ]


def sign_ins(user: User) -> list[Row]:
    """Successful log-ins to the account, as django-axes records them."""
    return [
        row(entry, ["attempt_time", "logout_time", "ip_address", "user_agent"])
        for entry in AccessLog.objects.filter(username__iexact=user.email).order_by("attempt_time")
    ]


def patient(user: User) -> dict:
    return {
        "resourceType": "Patient",
        "identifier": [{"system": "urn:circles:member", "value": str(user.pk)}],
        "active": user.is_active,
        "name": [{"text": user.display_name}],
        "telecom": [{"system": "email", "value": user.email}],
    }


def fhir_entries(user: User) -> list[dict]:
    return [{"fullUrl": urn("Patient", user.pk), "resource": patient(user)}]


def _sessions_of(user: User) -> list[str]:
    # Sessions store the account number inside their encoded data, so each live one is read.
    keys = []
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if session.get_decoded().get("_auth_user_id") == str(user.pk):
            keys.append(session.session_key)
    return keys


def erase(user: User) -> None:
    """Sign-in records are kept by address, not by account, and sessions by an opaque key: both go."""
    for model in (AccessAttempt, AccessFailureLog, AccessLog):
        model.objects.filter(username__iexact=user.email).delete()
    Session.objects.filter(session_key__in=_sessions_of(user)).delete()
    PendingAccountEmail.objects.filter(address=user.email).delete()


PERSONAL_DATA = PersonalData(
    sections={
        User: profile,
        Role: roles,
        PersonalAccessToken: access_tokens,
        PushSubscription: push_devices,
        AccessLog: sign_ins,
        TOTPDevice: two_factor_sign_in,
        StaticDevice: recovery_codes,
    },
    not_member_data={
        Session: "Opaque sign-in state (account number and a hash); the person's sessions end on erasure.",
        Permission: "Django's catalogue of permissions; Circles grants capabilities through roles.",
        Group: "Django's permission groups, not used by Circles.",
        AccessAttempt: "Counts of failed log-ins under an address, which anyone may have typed; kept for "
        "the cool-off only, and removed on erasure.",
        AccessFailureLog: "Failed log-ins under an address, which anyone may have typed; removed on erasure.",
        AccessAttemptExpiration: "When a failed-log-in count expires; no data about anyone.",
        PendingAccountEmail: "An address-confirmation or password-reset email waiting for the worker; "
        "deleted once sent, and on erasure.",
        StaticToken: "One-time recovery codes: secrets that sign in, counted in recovery_codes but never "
        "exported; deleted with the account.",
    },
    fhir_entries=fhir_entries,
    erase=erase,
)
