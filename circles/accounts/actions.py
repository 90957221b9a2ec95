"""Changes to accounts: sign-up, roles, tokens, signing out everywhere. (Export and erasure of everything
a person has are circles/records.)"""

from django.contrib.auth import logout
from django.db import transaction
from django.utils import timezone

from circles.accounts.models import PersonalAccessToken, Role, User, new_session_secret


@transaction.atomic
def do_sign_up(*, email: str, password: str, display_name: str, timezone_name: str) -> User:
    """Creates an account that starts as a member: everyone can map their own circle."""
    user = User.objects.create_user(
        email=email, password=password, display_name=display_name, timezone=timezone_name
    )
    do_grant_role(user, Role.Kind.MEMBER)
    return user


def do_grant_role(user: User, kind: str) -> Role:
    role, _created = Role.objects.get_or_create(user=user, kind=kind)
    return role


def do_create_token(user: User, name: str) -> tuple[PersonalAccessToken, str]:
    """Returns the stored token and the raw value, which is shown once and never again."""
    raw, token_hash = PersonalAccessToken.generate()
    token = PersonalAccessToken.objects.create(
        user=user, name=name, token_hash=token_hash, hint=raw[: len("circ_") + 4]
    )
    return token, raw


def do_revoke_token(token: PersonalAccessToken, *, acting_user: User) -> None:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])


def do_sign_out_everywhere(request, *, acting_user: User) -> None:
    """Ends every session of the account, this one included, by changing the session secret.

    Personal access tokens are not sessions: they stay until revoked one by one.
    """
    acting_user.session_secret = new_session_secret()
    acting_user.save(update_fields=["session_secret"])
    if hasattr(request, "session"):
        logout(request)
