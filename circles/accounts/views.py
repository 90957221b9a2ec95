"""Account pages: sign-up, login, password reset and change, settings, API tokens and the devices that get
push notifications. (Your data:
circles/records.)"""

import json

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from circles.accounts.access import access_push_subscription, access_token
from circles.accounts.actions import (
    do_change_password,
    do_create_token,
    do_remove_push_subscription,
    do_remove_this_device_on_sign_out,
    do_request_address_confirmation,
    do_request_password_reset,
    do_request_sign_up,
    do_revoke_token,
    do_save_push_subscription,
    do_sign_out_everywhere,
    do_verify_address,
)
from circles.accounts.auth import is_recently_authenticated, mark_recently_authenticated
from circles.accounts.forms import (
    ConfirmAddressForm,
    EmailLoginForm,
    PasswordChangeForm,
    ProfileForm,
    ResendVerificationForm,
    SignUpForm,
    TokenForm,
)
from circles.accounts.outbox import user_for_verification_token
from circles.accounts.push import is_configured as push_is_configured
from circles.lib import ratelimit
from circles.lib.client import client_address_group

PUSH_SESSION_KEY = "circles_push_subscription"  # the device this browser turned on, dropped at sign-out


def locked_out(request, credentials=None, *args, **kwargs):
    """What django-axes shows while an account is throttled from this address."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return render(request, "accounts/locked_out.html", {"cooloff_minutes": minutes}, status=429)


def rate_limited(request, error: ratelimit.RateLimited):
    response = render(request, "rate_limited.html", {"message": error.message}, status=429)
    response["Retry-After"] = str(error.retry_after)
    return response


def check_rate(request, bucket: str, rate: str, email: str = "") -> None:
    """Counts a request that sends an email or checks a password, per client address and per address."""
    whos = [f"client:{client_address_group(request)}"] + ([f"email:{email.strip().lower()}"] if email else [])
    ratelimit.limit(bucket, whos, rate)


def _safe_next(request, next_url: str) -> str:
    if url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return next_url
    return ""


def signup(request):
    if request.user.is_authenticated:
        return redirect("home")
    # An invitation link sends people here with ?next= (back to the invitation) and their address.
    next_url = _safe_next(request, request.POST.get("next") or request.GET.get("next") or "")
    form = SignUpForm(request.POST or None, initial={"email": request.GET.get("email", "")[:254]})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            check_rate(request, "signup", settings.RATE_LIMIT_SIGNUP, data["email"])
        except ratelimit.RateLimited as error:
            return rate_limited(request, error)
        # The same answer whether or not the address already has an account: the email says which.
        do_request_sign_up(
            email=data["email"],
            password=data["password"],
            display_name=data["display_name"],
            timezone_name=data["timezone"],
            next_path=next_url if next_url.startswith("/") else "",
        )
        request.session["circles_signup_address"] = data["email"]
        return redirect("accounts:signup_sent")
    status = 400 if request.method == "POST" else 200
    return render(request, "accounts/signup.html", {"form": form, "next": next_url}, status=status)


def signup_sent(request):
    address = request.session.get("circles_signup_address", "")
    form = ResendVerificationForm(initial={"email": address})
    return render(request, "accounts/signup_sent.html", {"address": address, "form": form})


@require_POST
def resend_verification(request):
    form = ResendVerificationForm(request.POST)
    if not form.is_valid():
        return render(request, "accounts/signup_sent.html", {"form": form}, status=400)
    email = form.cleaned_data["email"]
    try:
        check_rate(request, "signup", settings.RATE_LIMIT_SIGNUP, email)
    except ratelimit.RateLimited as error:
        return rate_limited(request, error)
    do_request_address_confirmation(email)
    request.session["circles_signup_address"] = email
    messages.success(request, _("If this address needs confirming, a new link is on its way."))
    return redirect("accounts:signup_sent")


def verify_address(request, token: str):
    """The emailed link, then the password chosen at sign-up: both together confirm the address and sign
    the person in. The link alone is not enough, so whoever signed up first with someone else's address
    cannot end up holding the account when its owner follows the link."""
    user = user_for_verification_token(token)
    if user is None:
        return render(request, "accounts/verify_failed.html", {"form": ResendVerificationForm()}, status=400)
    next_url = _safe_next(request, request.POST.get("next") or request.GET.get("next") or "")
    if user.email_verified_at is not None:
        messages.info(request, _("Your email address is already confirmed. Please sign in."))
        return redirect(_login_url(next_url))
    form = ConfirmAddressForm(request.POST or None, request=request, email=user.email)
    if request.method == "POST" and form.is_valid():
        do_verify_address(user)
        user.refresh_from_db()
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        if next_url:
            messages.success(request, _("Welcome to Circles."))
            return redirect(next_url)
        messages.success(request, _("Welcome to Circles. Start by adding the people in your life."))
        return redirect("network:tie_create")
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "address": user.email, "next": next_url}
    return render(request, "accounts/verify_address.html", context, status=status)


def _login_url(next_url: str) -> str:
    login_url = reverse("accounts:login")
    return f"{login_url}?{urlencode({'next': next_url})}" if next_url else login_url


class LoginView(auth_views.LoginView):
    form_class = EmailLoginForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def form_invalid(self, form):
        response = super().form_invalid(form)
        response.status_code = 400
        return response


class LogoutView(auth_views.LogoutView):
    """Signing out also stops this browser's notifications, so a phone someone else picks up afterwards
    shows no alerts; the other devices keep theirs ("Sign out everywhere" stops them all)."""

    def post(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            do_remove_this_device_on_sign_out(request.user, _session_push_id(request))
        return super().post(request, *args, **kwargs)


def _session_push_id(request) -> int | None:
    value = request.session.get(PUSH_SESSION_KEY)
    return value if isinstance(value, int) else None


class PasswordResetView(auth_views.PasswordResetView):
    """Asks the worker to send a link. No account is looked up here, so the answer and its timing are the
    same whether or not the address has one."""

    template_name = "accounts/password_reset.html"
    success_url = reverse_lazy("accounts:password_reset_done")

    def form_valid(self, form):
        email = form.cleaned_data["email"]
        try:
            check_rate(self.request, "password-reset", settings.RATE_LIMIT_PASSWORD_RESET, email)
        except ratelimit.RateLimited as error:
            return rate_limited(self.request, error)
        do_request_password_reset(email)
        return HttpResponseRedirect(self.get_success_url())


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")
    post_reset_login = False

    def form_valid(self, form):
        # Every session and token ends, the change is audited and the person is told by email.
        do_change_password(form.user, form.cleaned_data["new_password1"], reset=True)
        self.request.session.pop(auth_views.INTERNAL_RESET_SESSION_TOKEN, None)
        return HttpResponseRedirect(self.get_success_url())


@login_required
def settings_page(request):
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Your settings are saved."))
        return redirect("accounts:settings")
    status = 400 if request.method == "POST" else 200
    context = {
        "form": form,
        "push_configured": push_is_configured(),
        "vapid_public_key": settings.VAPID_PUBLIC_KEY,
        "push_devices": request.user.push_subscriptions.all(),
    }
    return render(request, "accounts/settings.html", context, status=status)


@login_required
def password_change(request):
    form = PasswordChangeForm(request.user, request.POST or None)
    try:
        valid = request.method == "POST" and form.is_valid()
    except ratelimit.RateLimited as error:
        return rate_limited(request, error)
    if valid:
        do_change_password(
            request.user, form.cleaned_data["new_password1"], keep_push=_session_push_id(request)
        )
        update_session_auth_hash(request, request.user)  # this session stays; every other one ends
        mark_recently_authenticated(request)
        messages.success(
            request,
            _(
                "Your password is changed. Every other device is signed out and no longer gets "
                "notifications, and your tokens stopped working."
            ),
        )
        return redirect("accounts:settings")
    status = 400 if request.method == "POST" else 200
    return render(request, "accounts/password_change.html", {"form": form}, status=status)


@login_required
def tokens(request):
    ask_password = not is_recently_authenticated(request)
    form = TokenForm(request.POST or None, user=request.user, ask_password=ask_password)
    new_token = None
    try:
        valid = request.method == "POST" and form.is_valid()
    except ratelimit.RateLimited as error:
        return rate_limited(request, error)
    if valid:
        if ask_password:
            mark_recently_authenticated(request)
        data = form.cleaned_data
        _token, new_token = do_create_token(
            request.user, data["name"], scope=data["scope"], days=data["days"]
        )
        form = TokenForm(user=request.user, ask_password=False)
    status = 400 if request.method == "POST" and new_token is None else 200
    context = {"form": form, "new_token": new_token, "tokens": request.user.tokens.all()}
    return render(request, "accounts/tokens.html", context, status=status)


@login_required
@require_POST
def token_revoke(request, token_id: int):
    token = access_token(request.user, token_id)
    do_revoke_token(token, acting_user=request.user)
    messages.success(request, _("The token “%(name)s” no longer works.") % {"name": token.name})
    return redirect("accounts:tokens")


@login_required
@require_POST
def sign_out_everywhere(request):
    do_sign_out_everywhere(request, acting_user=request.user)
    messages.success(
        request,
        _(
            "You are signed out on every device, this one included, no device gets notifications any "
            "more, and your tokens stopped working."
        ),
    )
    return redirect("accounts:login")


def _json_error(message: str, errors: dict | None = None, status: int = 400) -> JsonResponse:
    return JsonResponse({"message": message, "errors": errors or {}}, status=status)


def read_push_subscription(body: bytes) -> dict[str, str]:
    """endpoint, p256dh, auth and label from PushSubscription.toJSON() (plus "label"); raises ValueError
    with a message for the person."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: nested thousands deep
        raise ValueError(_("The request was not JSON.")) from None
    if not isinstance(data, dict):
        raise ValueError(_("Send the browser's subscription as a JSON object."))
    keys = data.get("keys")
    if not isinstance(keys, dict):
        keys = {}
    endpoint, p256dh, auth = data.get("endpoint"), keys.get("p256dh"), keys.get("auth")
    label = data.get("label") or ""
    if not (isinstance(endpoint, str) and isinstance(p256dh, str) and isinstance(auth, str)) or not (
        endpoint and p256dh and auth
    ):
        raise ValueError(_("The subscription needs an endpoint and the keys p256dh and auth."))
    if not isinstance(label, str):
        raise ValueError(_("The device name must be text."))
    return {"endpoint": endpoint, "p256dh": p256dh, "auth": auth, "label": label.strip()[:80]}


@login_required
@require_POST
def push_subscribe(request):
    """The browser script's subscription for this device (static/circles/push.js), as JSON."""
    if not push_is_configured():
        return _json_error(_("Notifications are not set up on this server."), status=409)
    try:
        fields = read_push_subscription(request.body)
    except ValueError as error:
        return _json_error(str(error))
    try:
        subscription, created = do_save_push_subscription(request.user, **fields)
    except ValidationError as error:
        errors = error.message_dict if hasattr(error, "error_dict") else {"__all__": error.messages}
        first = next(iter(errors.values()))[0]
        return _json_error(first, errors)
    request.session[PUSH_SESSION_KEY] = subscription.pk
    if created:
        messages.success(request, _("This device now gets notifications."))
    return JsonResponse({"id": subscription.pk}, status=201 if created else 200)


@login_required
@require_POST
def push_remove(request, subscription_id: int):
    subscription = access_push_subscription(request.user, subscription_id)
    do_remove_push_subscription(subscription, acting_user=request.user)
    messages.success(request, _("“%(device)s” no longer gets notifications.") % {"device": subscription})
    return redirect(reverse("accounts:settings") + "#push-heading")
