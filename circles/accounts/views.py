"""Account pages: sign-up, login, password reset, settings and API tokens. (Your data: circles/records.)"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from circles.accounts.access import access_token
from circles.accounts.actions import (
    do_create_token,
    do_revoke_token,
    do_sign_out_everywhere,
    do_sign_up,
)
from circles.accounts.forms import EmailLoginForm, ProfileForm, SignUpForm, TokenForm


def locked_out(request, credentials=None, *args, **kwargs):
    """What django-axes shows while an account or address is throttled."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return render(request, "accounts/locked_out.html", {"cooloff_minutes": minutes}, status=429)


def signup(request):
    if request.user.is_authenticated:
        return redirect("home")
    # An invitation link sends people here with ?next= (back to the invitation) and their address.
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = ""
    form = SignUpForm(request.POST or None, initial={"email": request.GET.get("email", "")[:254]})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        user = do_sign_up(
            email=data["email"],
            password=data["password"],
            display_name=data["display_name"],
            timezone_name=data["timezone"],
        )
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        if next_url:
            messages.success(request, _("Welcome to Circles."))
            return redirect(next_url)
        messages.success(request, _("Welcome to Circles. Start by adding the people in your life."))
        return redirect("network:tie_create")
    status = 400 if request.method == "POST" else 200
    return render(request, "accounts/signup.html", {"form": form, "next": next_url}, status=status)


class LoginView(auth_views.LoginView):
    form_class = EmailLoginForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def form_invalid(self, form):
        response = super().form_invalid(form)
        response.status_code = 400
        return response


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "accounts/password_reset.html"
    email_template_name = "accounts/email/password_reset.txt"
    subject_template_name = "accounts/email/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password_reset_done")
    extra_email_context = {"expiry_minutes": settings.PASSWORD_RESET_TIMEOUT // 60}


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")
    post_reset_login = False


@login_required
def settings_page(request):
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Your settings are saved."))
        return redirect("accounts:settings")
    status = 400 if request.method == "POST" else 200
    return render(request, "accounts/settings.html", {"form": form}, status=status)


@login_required
def tokens(request):
    form = TokenForm(request.POST or None)
    new_token = None
    if request.method == "POST" and form.is_valid():
        _token, new_token = do_create_token(request.user, form.cleaned_data["name"])
        form = TokenForm()
    status = 400 if request.method == "POST" and new_token is None else 200
    context = {
        "form": form,
        "new_token": new_token,
        "tokens": request.user.tokens.all(),
    }
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
    messages.success(request, _("You are signed out on every device, this one included."))
    return redirect("accounts:login")
