"""Export and erasure of everything a person has, in the API (the account's section of it)."""

from typing import Literal

from django.contrib.auth import logout
from django.core.exceptions import ValidationError
from django.http import JsonResponse
from ninja import Router, Status
from pydantic import Field

from circles.lib.schema import InputSchema
from circles.records.actions import do_erase_account, do_export_account
from circles.records.export import CONTENT_TYPES
from circles.records.forms import EraseForm, ExportForm

router = Router(tags=["account"])


class ExportIn(InputSchema):
    password: str
    format: Literal["json", "fhir"] = "json"


class EraseIn(InputSchema):
    password: str
    confirm: str = Field(description="The word “erase”, or the account's email address.")


def _checked(form):
    if not form.is_valid():
        raise ValidationError(form.errors.as_data())
    return form.cleaned_data


@router.post(
    "/account/export",
    response={200: dict},
    # The id it had while it lived in circles/accounts/api.py, so generated clients keep their names.
    operation_id="circles_accounts_api_export_account",
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
    operation_id="circles_accounts_api_erase_account",
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
