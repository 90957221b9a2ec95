"""Account operations in the API: who am I, profile, personal access tokens, devices that get push.
(Export and erasure of everything a person has: circles/records/api.py.)"""

import datetime as dt
from typing import Literal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status
from ninja.errors import HttpError
from pydantic import Field

from circles.accounts.access import access_push_subscription, access_token
from circles.accounts.actions import (
    do_create_token,
    do_remove_push_subscription,
    do_revoke_token,
    do_save_push_subscription,
    do_sign_out_everywhere,
)
from circles.accounts.auth import is_recently_authenticated, mark_recently_authenticated
from circles.accounts.forms import ProfileForm, check_password_again
from circles.accounts.push import is_configured as push_is_configured
from circles.lib.schema import InputSchema

router = Router(tags=["account"])


class MeOut(Schema):
    id: int
    email: str
    display_name: str
    timezone: str
    roles: list[str]


class ProfileIn(InputSchema):
    display_name: str | None = Field(default=None, max_length=80)
    timezone: str | None = None


class TokenIn(InputSchema):
    name: str = Field(min_length=1, max_length=80)
    scope: Literal["read", "write"] = Field(default="read", description="`read` (GET only) or `write`.")
    days: int = Field(default=90, ge=1, le=365, description="Days until the token stops working.")
    password: str | None = Field(
        default=None,
        description="The account's password, unless it or a second factor was given in this session "
        "in the last 10 minutes.",
    )


class TokenOut(Schema):
    id: int
    name: str
    hint: str
    scope: str
    created_at: dt.datetime
    expires_at: dt.datetime
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None
    revoked_because: str


class NewTokenOut(TokenOut):
    token: str = Field(description="Shown once; store it now. Only a hash is kept.")


def _me(user) -> MeOut:
    return MeOut(
        id=user.pk,
        email=user.email,
        display_name=user.display_name,
        timezone=user.timezone,
        roles=user.role_kinds,
    )


@router.get("/me", response=MeOut, summary="The signed-in account")
def me(request):
    return _me(request.auth)


@router.patch("/me", response={200: MeOut}, summary="Change your name or timezone")
def update_me(request, payload: ProfileIn):
    user = request.auth
    data = {"display_name": user.display_name, "timezone": user.timezone}
    data.update(payload.dict(exclude_unset=True, exclude_none=True))
    form = ProfileForm(data, instance=user)
    if not form.is_valid():
        raise ValidationError(form.errors.as_data())
    form.save()
    return _me(user)


@router.post(
    "/me/sign-out-everywhere", response={204: None}, summary="End every browser session of the account"
)
def sign_out_everywhere(request):
    do_sign_out_everywhere(request, acting_user=request.auth)
    return Status(204, None)


@router.get("/tokens", response=list[TokenOut], summary="Your personal access tokens")
def list_tokens(request):
    return list(request.auth.tokens.all())


@router.post("/tokens", response={201: NewTokenOut}, summary="Create a personal access token")
def create_token(request, payload: TokenIn):
    if getattr(request, "auth_token", None) is not None:
        raise HttpError(403, _("A token cannot make tokens. Make one in your settings, signed in."))
    name = payload.name.strip()
    if not name:
        raise ValidationError({"name": _("Please give the token a name.")})
    if payload.days > settings.TOKEN_MAX_DAYS:
        raise ValidationError(
            {"days": _("A token can last at most %(days)s days.") % {"days": settings.TOKEN_MAX_DAYS}}
        )
    if not is_recently_authenticated(request):
        try:
            check_password_again(request.auth, payload.password or "")
        except ValidationError as error:
            raise ValidationError({"password": error.messages}) from error
        mark_recently_authenticated(request)
    token, raw = do_create_token(request.auth, name, scope=payload.scope, days=payload.days)
    return Status(201, NewTokenOut(**TokenOut.from_orm(token).dict(), token=raw))


@router.delete("/tokens/{token_id}", response={204: None}, summary="Revoke a personal access token")
def revoke_token(request, token_id: int):
    token = access_token(request.auth, token_id)
    do_revoke_token(token, acting_user=request.auth)
    return Status(204, None)


class VapidKeyOut(Schema):
    public_key: str = Field(
        description="The VAPID public key, base64url: PushManager.subscribe's applicationServerKey."
    )


class PushKeysIn(InputSchema):
    p256dh: str = Field(max_length=100)
    auth: str = Field(max_length=40)


class PushSubscriptionIn(InputSchema):
    endpoint: str = Field(max_length=1000, description="The push service's address for the browser.")
    keys: PushKeysIn
    label: str = Field(default="", max_length=80, description="A name for the device, e.g. “Phone”.")


class PushSubscriptionOut(Schema):
    id: int
    label: str
    push_service: str = Field(description="The push service's host name.")
    created_at: dt.datetime
    last_used_at: dt.datetime | None


def _push_out(subscription) -> PushSubscriptionOut:
    return PushSubscriptionOut(
        id=subscription.pk,
        label=subscription.label,
        push_service=subscription.service_host,
        created_at=subscription.created_at,
        last_used_at=subscription.last_used_at,
    )


def _require_push() -> None:
    if not push_is_configured():
        raise HttpError(409, _("Notifications are not set up on this server."))


@router.get("/push/vapid-key", response=VapidKeyOut, tags=["push"], summary="The key browsers subscribe with")
def vapid_key(request):
    _require_push()
    return VapidKeyOut(public_key=settings.VAPID_PUBLIC_KEY)


@router.get(
    "/push/subscriptions", response=list[PushSubscriptionOut], tags=["push"], summary="Devices that get push"
)
def list_push_subscriptions(request):
    return [_push_out(subscription) for subscription in request.auth.push_subscriptions.all()]


@router.post(
    "/push/subscriptions",
    response={200: PushSubscriptionOut, 201: PushSubscriptionOut},
    tags=["push"],
    summary="Let a device get push (PushSubscription.toJSON() and a label)",
)
def create_push_subscription(request, payload: PushSubscriptionIn):
    _require_push()
    subscription, created = do_save_push_subscription(
        request.auth,
        endpoint=payload.endpoint.strip(),
        p256dh=payload.keys.p256dh.strip(),
        auth=payload.keys.auth.strip(),
        label=payload.label.strip(),
    )
    return Status(201 if created else 200, _push_out(subscription))


@router.delete(
    "/push/subscriptions/{subscription_id}",
    response={204: None},
    tags=["push"],
    summary="Stop push to a device",
)
def delete_push_subscription(request, subscription_id: int):
    subscription = access_push_subscription(request.auth, subscription_id)
    do_remove_push_subscription(subscription, acting_user=request.auth)
    return Status(204, None)
