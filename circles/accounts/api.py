"""Account operations in the API: who am I, profile, personal access tokens, export and erasure."""

import datetime as dt
from typing import Literal

from django.contrib.auth import logout
from django.core.exceptions import ValidationError
from django.http import JsonResponse
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status
from pydantic import Field

from circles.accounts.access import access_token
from circles.accounts.actions import (
    do_create_token,
    do_erase_account,
    do_export_account,
    do_revoke_token,
    do_sign_out_everywhere,
)
from circles.accounts.export import CONTENT_TYPES
from circles.accounts.forms import EraseForm, ExportForm, ProfileForm
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


class TokenOut(Schema):
    id: int
    name: str
    hint: str
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None


class NewTokenOut(TokenOut):
    token: str = Field(description="Shown once; store it now. Only a hash is kept.")


class ExportIn(InputSchema):
    password: str
    format: Literal["json", "fhir"] = "json"


class EraseIn(InputSchema):
    password: str
    confirm: str = Field(description="The word “erase”, or the account's email address.")


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
    name = payload.name.strip()
    if not name:
        raise ValidationError({"name": _("Please give the token a name.")})
    token, raw = do_create_token(request.auth, name)
    return Status(201, NewTokenOut(**TokenOut.from_orm(token).dict(), token=raw))


@router.delete("/tokens/{token_id}", response={204: None}, summary="Revoke a personal access token")
def revoke_token(request, token_id: int):
    token = access_token(request.auth, token_id)
    do_revoke_token(token, acting_user=request.auth)
    return Status(204, None)


def _checked(form):
    if not form.is_valid():
        raise ValidationError(form.errors.as_data())
    return form.cleaned_data


@router.post(
    "/account/export",
    response={200: dict},
    summary="Everything Circles holds about you",
    description="`format`: `json` (every record, as Circles keeps it) or `fhir` (a FHIR R4 collection "
    "Bundle). Asks for the account's password again; the account's address is told by email.",
)
def export_account(request, payload: ExportIn):
    data_format = _checked(ExportForm(request.auth, payload.dict()))["format"]
    document = do_export_account(request.auth, data_format, acting_user=request.auth)
    return JsonResponse(document, content_type=CONTENT_TYPES[data_format])


@router.post(
    "/account/erase",
    response={204: None},
    summary="Erase your account and everything in it",
    description="Cannot be undone. Asks for the account's password and `confirm`: the word `erase`.",
)
def erase_account(request, payload: EraseIn):
    user = request.auth
    _checked(EraseForm(user, payload.dict()))
    do_erase_account(user, acting_user=user)
    if hasattr(request, "session"):
        logout(request)
    return Status(204, None)
