"""The JSON API at /api/v1: one Ninja router per app, errors as JSON with a message per field."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import SessionAuth

from circles.accounts.api import router as accounts_router
from circles.accounts.auth import TokenAuth
from circles.alerts.api import router as alerts_router
from circles.checkins.api import router as checkins_router
from circles.lib.ratelimit import RateLimited
from circles.network.api import router as network_router
from circles.notices.api import router as notices_router
from circles.records.api import router as records_router
from circles.sharing.api import router as sharing_router

api = NinjaAPI(
    title="Circles API",
    version="1",
    description=(
        "Everything a member can do in Circles. Authenticate with a personal access token "
        "(`Authorization: Bearer circ_…`, created on the settings page) or with the browser session "
        "plus the CSRF token. Errors are JSON: `message`, and `errors` with a list of messages per field."
    ),
    auth=[TokenAuth(), SessionAuth()],
    urls_namespace="api",
)
api.add_router("", accounts_router)
api.add_router("", network_router)
api.add_router("", checkins_router)
# Before sharing: /supporting/alerts must not be read as /supporting/{member_id}.
api.add_router("", alerts_router)
api.add_router("", sharing_router)
api.add_router("", records_router)
api.add_router("", notices_router)


def error_body(message: str, errors: dict[str, list[str]] | None = None) -> dict:
    return {"message": message, "errors": errors or {}}


def _field_name(location) -> str:
    # Pydantic locations look like ("body", "payload", "importance") or ("query", "page").
    parts = [str(part) for part in location if part not in ("body", "payload", "query", "path")]
    return ".".join(parts) or "__all__"


@api.exception_handler(NinjaValidationError)
def on_invalid_input(request, exc):
    errors: dict[str, list[str]] = {}
    for error in exc.errors:
        errors.setdefault(_field_name(error.get("loc", ())), []).append(error.get("msg", _("Invalid value.")))
    return api.create_response(
        request, error_body(_("Please correct the fields named below."), errors), status=400
    )


@api.exception_handler(DjangoValidationError)
def on_invalid_record(request, exc):
    errors = (
        {field: [str(m) for m in messages] for field, messages in exc.message_dict.items()}
        if hasattr(exc, "error_dict")
        else {"__all__": [str(m) for m in exc.messages]}
    )
    return api.create_response(
        request, error_body(_("Please correct the fields named below."), errors), status=400
    )


@api.exception_handler(Http404)
def on_not_found(request, exc):
    return api.create_response(request, error_body(_("Not found.")), status=404)


@api.exception_handler(AuthenticationError)
def on_unauthenticated(request, exc):
    return api.create_response(
        request, error_body(_("Sign in, or send a personal access token as a Bearer token.")), status=401
    )


@api.exception_handler(RateLimited)
def on_rate_limited(request, exc):
    response = api.create_response(request, error_body(exc.message), status=429)
    response["Retry-After"] = str(exc.retry_after)
    return response


@api.exception_handler(HttpError)
def on_http_error(request, exc):
    return api.create_response(request, error_body(str(exc)), status=exc.status_code)
