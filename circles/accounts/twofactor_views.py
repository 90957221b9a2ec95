"""Two-factor sign-in pages: setting it up (settings), and the code asked for after the password."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import AnonymousUser
from django.shortcuts import redirect, render, resolve_url
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_otp import login as otp_login

from circles.accounts import twofactor
from circles.accounts.actions import record_sign_in
from circles.accounts.auth import is_recently_authenticated, mark_recently_authenticated
from circles.accounts.forms import CurrentPasswordForm


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Code"),
        max_length=40,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autocapitalize": "none", "spellcheck": "false"}
        ),
    )

    def __init__(self, *args, prefix_id: str = "code", **kwargs):
        # Several code forms can share a page: their fields need ids of their own.
        kwargs.setdefault("auto_id", f"id_{prefix_id}_%s")
        super().__init__(*args, **kwargs)


def _wait_message(check: twofactor.CodeCheck) -> str:
    until = timezone.localtime(check.wait_until) if check.wait_until else None
    if until is None:
        return _("Too many codes that did not work. Please wait a little, then try again.")
    return _(
        "Too many codes that did not work. For your safety, please wait until %(time)s, then try again."
    ) % {"time": until.strftime("%H:%M:%S")}


def _safe_next(request) -> str:
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return next_url
    return ""


@login_required
def login_code(request):
    """The second step of signing in: a code from the app, or a recovery code."""
    next_url = _safe_next(request)
    if request.user.is_verified() or not twofactor.has_second_factor(request.user):
        return redirect(next_url or resolve_url(settings.LOGIN_REDIRECT_URL))
    form = CodeForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        check = twofactor.check_code(request.user, form.cleaned_data["code"])
        if check.accepted:
            # A new session key for the now fully signed-in session, as django.contrib.auth.login does.
            request.session.cycle_key()
            otp_login(request, check.device)
            mark_recently_authenticated(request)
            record_sign_in(request.user, succeeded=True)
            if check.used_recovery_code:
                left = twofactor.recovery_codes_left(request.user)
                messages.warning(
                    request,
                    _(
                        "You used a recovery code; %(left)s are left. If your phone is lost, set up "
                        "two-factor sign-in again with a new one in Settings."
                    )
                    % {"left": left},
                )
            return redirect(next_url or resolve_url(settings.LOGIN_REDIRECT_URL))
        if check.wait_until is not None:
            form.add_error("code", _wait_message(check))
            status = 429
        else:
            twofactor.record_failed_sign_in_code(request.user)
            form.add_error(
                "code",
                _(
                    "That code was just used, and each code works once. Wait for the next code in your "
                    "app (a few seconds), then type it."
                )
                if check.just_used
                else _(
                    "That code did not work. Try the newest code in your app (check that your phone's "
                    "clock is right), or one of your recovery codes."
                ),
            )
            status = 400
    elif request.method == "POST":
        status = 400
    context = {
        "form": form,
        "next": next_url,
        "email": request.user.email,
        # Until the code is given, the page's own header shows the signed-out menu.
        "user": AnonymousUser(),
    }
    return render(request, "accounts/twofactor_code.html", context, status=status)


@login_required
def twofactor_settings(request):
    """Set up, renew recovery codes for, or turn off two-factor sign-in.

    Each change needs a password given in the last minutes; turning it off and new recovery codes need
    a current code as well, so a session left open cannot quietly weaken the account.
    """
    user = request.user
    enabled = twofactor.has_second_factor(user)
    required = twofactor.needs_second_factor(user)
    step = request.POST.get("step", "") if request.method == "POST" else ""
    status = 200
    context: dict = {"enabled": enabled, "required": required, "recent": is_recently_authenticated(request)}

    if not context["recent"]:
        password_form = CurrentPasswordForm(user, request.POST if step == "password" else None)
        if step == "password":
            if password_form.is_valid():
                mark_recently_authenticated(request)
                return redirect("accounts:twofactor")
            status = 400
        elif step:
            messages.error(request, _("For your safety, please enter your password again first."))
            status = 400
        context["password_form"] = password_form
        return _settings_page(request, context, status)

    if not enabled:
        device = twofactor.pending_app_device(user)
        form = CodeForm(request.POST if step == "enable" else None, prefix_id="enable")
        if step == "enable" and form.is_valid():
            check = twofactor.check_pending_code(device, form.cleaned_data["code"])
            if check.accepted:
                codes = twofactor.do_enable_twofactor(device, acting_user=user)
                otp_login(request, twofactor.app_device(user))
                mark_recently_authenticated(request)
                context.update(enabled=True, recovery_codes=codes, just_enabled=True)
                return _settings_page(request, context, 200)
            if check.wait_until is not None:
                form.add_error("code", _wait_message(check))
                status = 429
            else:
                form.add_error(
                    "code",
                    _("That code did not work. Type the code your app shows for Circles right now."),
                )
                status = 400
        elif step == "enable":
            status = 400
        context.update(
            enable_form=form,
            qr_code=twofactor.qr_code_data_uri(device),
            key=twofactor.readable_key(device),
        )
        return _settings_page(request, context, status)

    renew_form = CodeForm(request.POST if step == "renew" else None, prefix_id="renew")
    disable_form = CodeForm(request.POST if step == "disable" else None, prefix_id="disable")
    form = {"renew": renew_form, "disable": disable_form}.get(step)
    if form is not None:
        if form.is_valid():
            check = twofactor.check_code(user, form.cleaned_data["code"])
            if check.accepted:
                mark_recently_authenticated(request)
                if step == "renew":
                    codes = twofactor.do_renew_recovery_codes(user, acting_user=user)
                    context.update(recovery_codes=codes)
                    return _settings_page(request, context, 200)
                twofactor.do_disable_twofactor(user, acting_user=user)
                if required:
                    messages.success(
                        request,
                        _("Two-factor sign-in is off. Your role needs it: please set it up again now."),
                    )
                else:
                    messages.success(
                        request, _("Two-factor sign-in is off. Your password alone signs you in.")
                    )
                return redirect("accounts:twofactor")
            if check.wait_until is not None:
                form.add_error("code", _wait_message(check))
                status = 429
            else:
                form.add_error("code", _("That code did not work. Try the newest code in your app."))
                status = 400
        else:
            status = 400
    context.update(
        renew_form=renew_form,
        disable_form=disable_form,
        codes_left=twofactor.recovery_codes_left(user),
        device=twofactor.app_device(user),
    )
    return _settings_page(request, context, status)


def _settings_page(request, context: dict, status: int):
    return render(request, "accounts/twofactor_settings.html", context, status=status)
