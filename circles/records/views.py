"""Your data: download everything Circles holds about you, or erase your account (/accounts/data/)."""

import json

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from circles.lib.time import local_today
from circles.records.actions import do_erase_account, do_export_account
from circles.records.export import CONTENT_TYPES
from circles.records.forms import EraseForm, ExportForm


def _data_page(request, *, export_form=None, erase_form=None, status=200):
    context = {
        "export_form": export_form or ExportForm(request.user),
        "erase_form": erase_form or EraseForm(request.user),
    }
    return render(request, "records/data.html", context, status=status)


@login_required
def data_page(request):
    """Your data: download all of it, or erase the account."""
    return _data_page(request)


def export_response(document: dict, data_format: str, day) -> HttpResponse:
    response = HttpResponse(json.dumps(document, indent=2), content_type=CONTENT_TYPES[data_format])
    suffix = ".fhir.json" if data_format == "fhir" else ".json"
    response["Content-Disposition"] = f'attachment; filename="circles-data-{day.isoformat()}{suffix}"'
    return response


@login_required
@require_POST
def data_export(request):
    form = ExportForm(request.user, request.POST)
    if not form.is_valid():
        return _data_page(request, export_form=form, status=400)
    data_format = form.cleaned_data["format"]
    document = do_export_account(request.user, data_format, acting_user=request.user)
    return export_response(document, data_format, local_today(request.user))


@login_required
@require_POST
def data_erase(request):
    form = EraseForm(request.user, request.POST)
    if not form.is_valid():
        return _data_page(request, erase_form=form, status=400)
    do_erase_account(request.user, acting_user=request.user)
    logout(request)
    messages.success(request, _("Your account and everything in it have been erased. Take care."))
    return redirect("home")
