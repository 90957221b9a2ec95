"""Changes to accounts: sign-up, roles, tokens, passwords, signing out everywhere. (Export and erasure of
everything a person has are circles/records.)

Every change to how someone signs in is audited (action codes "account.*") and, where someone else could
have made it, the person is told by email (circles/accounts/notices.py).
"""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from circles.accounts.models import (
    PendingAccountEmail,
    PersonalAccessToken,
    PushSubscription,
    Role,
    User,
    new_session_secret,
)
from circles.accounts.notices import send_account_notice
from circles.audit.models import Outcome
from circles.audit.trail import record
from circles.lib import ratelimit


@transaction.atomic
def do_sign_up(
    *, email: str, password: str, display_name: str, timezone_name: str, verified: bool = True
) -> User:
    """Creates an account that starts as a member: everyone can map their own circle.

    An account made from the sign-up page is not `verified` until its owner follows the emailed link.
    """
    user = User.objects.create_user(
        email=email,
        password=password,
        display_name=display_name,
        timezone=timezone_name,
        email_verified_at=timezone.now() if verified else None,
    )
    do_grant_role(user, Role.Kind.MEMBER)
    return user


@transaction.atomic
def do_request_sign_up(
    *, email: str, password: str, display_name: str, timezone_name: str, next_path: str = ""
) -> None:
    """The sign-up page's one answer, whoever asks: "we sent you a link".

    A new address gets an unconfirmed account and a link to confirm it; an address whose account is not
    confirmed yet takes the newest sign-up's password, name and timezone (nobody can use it yet); an
    address with a confirmed account gets an email saying someone tried to sign up with it (the worker
    decides which). The password is hashed either way, so the answer takes as long whatever the address.

    Confirming needs the link *and* the password chosen here (verify_address), so someone who signs up
    with another person's address first can never end up holding the account.
    """
    address = email.strip().lower()
    existing = User.objects.filter(email=address).first()
    if existing is None:
        do_sign_up(
            email=address,
            password=password,
            display_name=display_name,
            timezone_name=timezone_name,
            verified=False,
        )
    elif existing.email_verified_at is None:
        existing.set_password(password)
        existing.display_name, existing.timezone = display_name, timezone_name
        existing.save(update_fields=["password", "display_name", "timezone"])
    else:
        make_password(password)  # the same slow hash as a new account, for the same answer time
    PendingAccountEmail.objects.create(
        kind=PendingAccountEmail.Kind.VERIFY_ADDRESS, address=address, next_path=next_path
    )


def do_request_address_confirmation(email: str) -> None:
    """Another confirmation link (for an unconfirmed account) or the "you already have an account" note."""
    PendingAccountEmail.objects.create(
        kind=PendingAccountEmail.Kind.VERIFY_ADDRESS, address=email.strip().lower()
    )


def do_request_password_reset(email: str) -> None:
    """Queues a reset link for the address; the worker sends it only if an active account has it."""
    PendingAccountEmail.objects.create(
        kind=PendingAccountEmail.Kind.PASSWORD_RESET, address=email.strip().lower()
    )


@transaction.atomic
def do_verify_address(user: User) -> None:
    """The owner followed the emailed link and gave the password: the account can be used. Any session
    started before (there should be none) ends."""
    if user.email_verified_at is None:
        user.email_verified_at = timezone.now()
        user.session_secret = new_session_secret()
        user.save(update_fields=["email_verified_at", "session_secret"])
        record("account.address_verified", user, subject=user)


def do_grant_role(user: User, kind: str) -> Role:
    role, _created = Role.objects.get_or_create(user=user, kind=kind)
    return role


@transaction.atomic
def do_create_token(
    user: User, name: str, *, scope: str = PersonalAccessToken.Scope.READ, days: int | None = None
) -> tuple[PersonalAccessToken, str]:
    """Returns the stored token and the raw value, which is shown once and never again.

    Callers make sure the request is a browser session with a recent password or second factor: a token
    never makes a token.
    """
    raw, token_hash = PersonalAccessToken.generate()
    created = timezone.now()
    token = PersonalAccessToken(
        user=user,
        name=name,
        token_hash=token_hash,
        hint=raw[: len("circ_") + 4],
        scope=scope,
        created_at=created,
    )
    if days is not None:
        token.expires_at = created + timedelta(days=days)
    token.save()
    record("account.token.create", user, subject=user, object_ref=f"token:{token.pk};scope:{scope}")
    send_account_notice(user, "token_created", {"token": token})
    return token, raw


@transaction.atomic
def do_revoke_token(token: PersonalAccessToken, *, acting_user: User) -> None:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.revoked_because = PersonalAccessToken.RevokedBecause.OWNER
        token.save(update_fields=["revoked_at", "revoked_because"])
        record("account.token.revoke", acting_user, subject=token.user_id, object_ref=f"token:{token.pk}")


@transaction.atomic
def do_save_push_subscription(
    user: User, *, endpoint: str, p256dh: str, auth: str, label: str = ""
) -> tuple[PushSubscription, bool]:
    """Lets this browser get Web Push for the person; returns (subscription, whether it is new).

    The same browser subscribing again refreshes its keys. An endpoint another account registered moves
    to this one: a shared phone notifies whoever subscribed on it last, never both. Raises
    ValidationError for bad keys or an address that is not a push service's, and past
    PUSH_MAX_SUBSCRIPTIONS devices.
    """
    existing = _subscription_at(endpoint)
    if existing is not None and existing.user_id == user.pk:
        return _refresh_push_keys(existing, p256dh=p256dh, auth=auth, label=label), False
    subscription = PushSubscription(user=user, endpoint=endpoint, p256dh=p256dh, auth=auth, label=label)
    subscription.full_clean(validate_unique=False)  # the endpoint is new here, or moves below
    if PushSubscription.objects.filter(user=user).count() >= settings.PUSH_MAX_SUBSCRIPTIONS:
        raise ValidationError(
            _("You already get notifications on %(count)s devices. Remove one in your settings first.")
            % {"count": settings.PUSH_MAX_SUBSCRIPTIONS},
            code="too_many",
        )
    if existing is not None:
        record(
            "account.push.remove",
            user,
            subject=existing.user_id,
            object_ref=f"push:{existing.pk};reason:moved",
        )
        existing.delete()
    try:
        with transaction.atomic():
            subscription.save()
    except IntegrityError:
        # Two tabs subscribed the same new browser at once, and the other one's row came first.
        raced = _subscription_at(endpoint)
        if raced is None or raced.user_id != user.pk:
            raise ValidationError(
                _("This device was being turned on at the same moment. Please try again."), code="conflict"
            ) from None
        return _refresh_push_keys(raced, p256dh=p256dh, auth=auth, label=label), False
    record("account.push.create", user, subject=user, object_ref=f"push:{subscription.pk}")
    return subscription, True


def _subscription_at(endpoint: str) -> PushSubscription | None:
    return PushSubscription.objects.select_for_update().filter(endpoint=endpoint).first()


def _refresh_push_keys(
    subscription: PushSubscription, *, p256dh: str, auth: str, label: str
) -> PushSubscription:
    subscription.p256dh, subscription.auth = p256dh, auth
    subscription.label = label or subscription.label
    subscription.full_clean()
    subscription.save(update_fields=["p256dh", "auth", "label"])
    return subscription


@transaction.atomic
def do_remove_push_subscription(subscription: PushSubscription, *, acting_user: User) -> None:
    record(
        "account.push.remove", acting_user, subject=subscription.user_id, object_ref=f"push:{subscription.pk}"
    )
    subscription.delete()


@transaction.atomic
def do_forget_push_subscription(subscription: PushSubscription) -> None:
    """The push service answered that the browser dropped this subscription (404 or 410)."""
    deleted, _rows = PushSubscription.objects.filter(pk=subscription.pk).delete()
    if deleted:
        record(
            "account.push.remove",
            None,
            subject=subscription.user_id,
            object_ref=f"push:{subscription.pk};reason:gone",
        )


def _drop_push_subscriptions(
    user: User, reason: str, *, keep: int | None = None, only: int | None = None
) -> int:
    """Deletes the person's push subscriptions (all, all but `keep`, or just `only`), each with an audit
    row saying why: a lost phone must stop showing "Riley could use support now" once its sessions end."""
    subscriptions = PushSubscription.objects.filter(user=user)
    if keep is not None:
        subscriptions = subscriptions.exclude(pk=keep)
    if only is not None:
        subscriptions = subscriptions.filter(pk=only)
    dropped = 0
    for pk in subscriptions.order_by("id").values_list("pk", flat=True):
        deleted, _rows = PushSubscription.objects.filter(pk=pk).delete()
        if deleted:
            record("account.push.remove", user, subject=user, object_ref=f"push:{pk};reason:{reason}")
            dropped += 1
    return dropped


@transaction.atomic
def do_remove_this_device_on_sign_out(user: User, subscription_id: int | None) -> None:
    """Signing out in a browser stops its notifications: the subscription it made in this session
    (POST /accounts/push/ remembers which, PUSH_SESSION_KEY) is deleted before the session ends."""
    if subscription_id is not None:
        _drop_push_subscriptions(user, "signout", only=subscription_id)


@transaction.atomic
def do_deactivate_account(user: User) -> None:
    """An account that can no longer sign in gets nothing on its devices either."""
    if user.is_active:
        user.is_active = False
        user.save(update_fields=["is_active"])
    _drop_push_subscriptions(user, "deactivated")


def _revoke_every_token(user: User, because: str) -> int:
    return PersonalAccessToken.objects.filter(user=user, revoked_at__isnull=True).update(
        revoked_at=timezone.now(), revoked_because=because
    )


@transaction.atomic
def do_sign_out_everywhere(request, *, acting_user: User) -> None:
    """Ends every session of the account, this one included, by changing the session secret, stops
    every personal access token (whoever holds a copied token is signed out too) and turns notifications
    off on every device (a lost phone stops showing alerts)."""
    acting_user.session_secret = new_session_secret()
    acting_user.save(update_fields=["session_secret"])
    revoked = _revoke_every_token(acting_user, PersonalAccessToken.RevokedBecause.SIGN_OUT_EVERYWHERE)
    _drop_push_subscriptions(acting_user, "signout_everywhere")
    record(
        "account.signout_everywhere", acting_user, subject=acting_user, object_ref=f"tokens_revoked:{revoked}"
    )
    if hasattr(request, "session"):
        logout(request)


@transaction.atomic
def do_change_password(
    user: User, new_password: str, *, reset: bool = False, keep_push: int | None = None
) -> None:
    """A new password (from the settings page, or from a reset link when `reset`): every other session
    ends (the session hash covers the password), every token stops, every device stops getting
    notifications but `keep_push` (the one this still signed-in browser turned on), and the person is
    told by email.

    A reset link also confirms the address, since only its owner could follow it.
    """
    user.set_password(new_password)
    fields = ["password"]
    if reset and user.email_verified_at is None:
        user.email_verified_at = timezone.now()
        fields.append("email_verified_at")
    user.save(update_fields=fields)
    because = (
        PersonalAccessToken.RevokedBecause.PASSWORD_RESET
        if reset
        else PersonalAccessToken.RevokedBecause.PASSWORD_CHANGE
    )
    revoked = _revoke_every_token(user, because)
    _drop_push_subscriptions(user, "password_reset" if reset else "password_change", keep=keep_push)
    action = "account.password.reset" if reset else "account.password.change"
    record(action, user, subject=user, object_ref=f"tokens_revoked:{revoked}")
    send_account_notice(user, "password_changed", {"reset": reset, "tokens_revoked": revoked})


def record_sign_in(user: User, *, succeeded: bool, password_only: bool = False) -> None:
    """A sign-in to the account, or a wrong password for it (nothing is recorded for an unknown address).

    `password_only`: the right password for an account with two-factor sign-in, which is not a sign-in
    until the code is given.
    """
    if password_only:
        record("account.signin.password", user, subject=user)
        return
    outcome = Outcome.ALLOWED if succeeded else Outcome.DENIED
    record("account.signin", user if succeeded else None, subject=user, outcome=outcome)


def record_password_reentry_failed(user: User) -> None:
    """A wrong password where Circles asked for it again before a serious step (export, erasure)."""
    record("account.password.reentry", user, subject=user, outcome=Outcome.DENIED)


def warn_of_many_wrong_passwords(user: User) -> None:
    """Lock-out counts an account and a client address together, so nobody can lock Riley out; someone
    trying from many addresses is not locked out either. Past RATE_LIMIT_SIGNIN_FAILURES wrong passwords
    for one account from anywhere, its owner is told once per window, so a slow guess does not go unseen."""
    rate = ratelimit.Rate.parse(settings.RATE_LIMIT_SIGNIN_FAILURES)
    if ratelimit.hit("signin-failures", f"user:{user.pk}", rate) == rate.count:
        send_account_notice(
            user, "many_wrong_passwords", {"count": rate.count, "hours": max(1, rate.seconds // 3600)}
        )
