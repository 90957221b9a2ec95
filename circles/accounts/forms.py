"""Account forms. Field errors are shown next to their fields (see templates/includes/field.html)."""

import datetime as dt
import zoneinfo
from functools import lru_cache
from pathlib import Path

from django import forms
from django.conf import settings
from django.contrib.auth import authenticate, password_validation
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.forms import PasswordChangeForm as DjangoPasswordChangeForm
from django.utils.timezone import now
from django.utils.translation import gettext_lazy as _

from circles.accounts.actions import record_password_reentry_failed
from circles.accounts.models import PersonalAccessToken, User
from circles.lib import ratelimit
from circles.lib.client import address_group, current_client_address
from circles.lib.validators import refuse_invisible_characters


def _offset(minutes: int) -> str:
    sign = "+" if minutes >= 0 else "\u2212"  # a true minus sign, as the offset is read aloud
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours:02d}:{rest:02d}"


# Places most people live near, offered first so few need the full list below them (west to east).
COMMON_TIMEZONES = [
    "Pacific/Honolulu",
    "America/Anchorage",
    "America/Los_Angeles",
    "America/Denver",
    "America/Phoenix",
    "America/Chicago",
    "America/Mexico_City",
    "America/New_York",
    "America/Halifax",
    "America/Sao_Paulo",
    "Europe/London",
    "Europe/Dublin",
    "Africa/Lagos",
    "Europe/Paris",
    "Europe/Berlin",
    "Europe/Madrid",
    "Africa/Johannesburg",
    "Europe/Athens",
    "Africa/Nairobi",
    "Asia/Dubai",
    "Asia/Kolkata",
    "Asia/Singapore",
    "Asia/Shanghai",
    "Asia/Tokyo",
    "Australia/Sydney",
    "Pacific/Auckland",
]


@lru_cache(maxsize=1)
def listed_zones() -> frozenset[str]:
    """The zones the list offers: the tz database's own list of places (zone.tab), which leaves out the
    old names kept only as aliases ("Asia/Calcutta", "America/Buenos_Aires"). Without that file, every
    zone. A person whose saved zone is an alias still keeps it (TimezoneField accepts any valid name)."""
    for base in zoneinfo.TZPATH:
        table = Path(base) / "zone.tab"
        if table.is_file():
            lines = table.read_text(encoding="utf-8").splitlines()
            names = {line.split("\t")[2] for line in lines if line and not line.startswith("#")}
            return frozenset(names & zoneinfo.available_timezones())
    return frozenset(zoneinfo.available_timezones())


@lru_cache(maxsize=2)  # today's list (and yesterday's, around midnight)
def _timezone_choices(day: dt.date) -> list:
    """Common places first, then every place grouped by region, each named by its city with today's offset.

    "Madrid (UTC+01:00)" appears under "Common places" and under "Europe": the full list stays whole.
    """
    moment = dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC)
    labels: dict[str, str] = {}
    groups: dict[str, list[tuple[str, str]]] = {}
    for name in listed_zones() | set(COMMON_TIMEZONES):
        if "/" not in name or name.startswith(("Etc/", "SystemV/", "posix/", "right/")):
            continue
        region, *places = name.split("/")
        city = places[-1].replace("_", " ")
        if len(places) > 1:  # America/Argentina/Buenos_Aires
            city = f"{city}, {places[0].replace('_', ' ')}"
        offset = moment.astimezone(zoneinfo.ZoneInfo(name)).utcoffset() or dt.timedelta()
        labels[name] = f"{city} ({_offset(int(offset.total_seconds() // 60))})"
        groups.setdefault(region, []).append((name, labels[name]))
    common = [(name, labels[name]) for name in COMMON_TIMEZONES if name in labels]
    return [("UTC", "UTC"), (_("Common places"), common)] + [
        (region, sorted(places, key=lambda choice: choice[1])) for region, places in sorted(groups.items())
    ]


def timezone_choices() -> list:
    # Offsets change with daylight saving time: the list is made anew each day.
    return _timezone_choices(now().date())


class TimezoneField(forms.ChoiceField):
    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("Your timezone"))
        kwargs.setdefault("initial", settings.DEFAULT_USER_TIMEZONE)
        kwargs.setdefault("help_text", _("Days, reminders and charts follow your own clock."))
        super().__init__(choices=timezone_choices, **kwargs)

    def valid_value(self, value) -> bool:
        # Any zone the tz database knows, listed or an alias saved before (or sent by an app).
        return value == "UTC" or value in zoneinfo.available_timezones()


class SignUpForm(forms.Form):
    display_name = forms.CharField(
        label=_("Name you go by"),
        max_length=80,
        validators=[refuse_invisible_characters],
        help_text=_("A first name or nickname is fine. Only people you invite will see it."),
    )
    email = forms.EmailField(label=_("Email address"), max_length=254)
    timezone = TimezoneField()
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 10 characters; avoid common passwords."),
    )
    password_again = forms.CharField(
        label=_("Password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            # signup.js may put this device's timezone in place of the default; never over a choice made.
            self.fields["timezone"].widget.attrs["data-from-device"] = "yes"

    def clean_display_name(self):
        name = self.cleaned_data["display_name"].strip()
        if not name:
            raise forms.ValidationError(_("Please enter a name."))
        return name

    def clean_email(self):
        # Whether the address already has an account is never said here (see do_request_sign_up).
        return self.cleaned_data["email"].strip().lower()

    def clean(self):
        data = super().clean()
        password, again = data.get("password"), data.get("password_again")
        if password and again and password != again:
            self.add_error("password_again", _("The two passwords do not match."))
        if password:
            candidate = User(email=data.get("email", ""), display_name=data.get("display_name", ""))
            try:
                password_validation.validate_password(password, candidate)
            except forms.ValidationError as error:
                self.add_error("password", error)
        return data


class EmailLoginForm(AuthenticationForm):
    """Django's login form, asking for an email address."""

    username = forms.EmailField(
        label=_("Email address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
    )
    error_messages = {
        "invalid_login": _("That email address and password do not match an account. Please try again."),
        "inactive": _("This account is not active."),
        "unverified": _(
            "Please confirm your email address first: follow the link we sent you. "
            "No email? Ask for a new link below."
        ),
    }

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        if user.email_verified_at is None:
            raise forms.ValidationError(self.error_messages["unverified"], code="unverified")


class ProfileForm(forms.ModelForm):
    timezone = TimezoneField()

    class Meta:
        model = User
        fields = ["display_name", "timezone"]
        labels = {"display_name": _("Name you go by")}


TOKEN_LIFETIME_CHOICES = [
    (7, _("7 days")),
    (30, _("30 days")),
    (90, _("90 days")),
    (365, _("1 year")),
]


class TokenForm(forms.Form):
    name = forms.CharField(
        label=_("What is this token for?"),
        max_length=80,
        help_text=_("For example “my phone app”. You can revoke it at any time."),
    )
    scope = forms.ChoiceField(
        label=_("What may it do?"),
        choices=PersonalAccessToken.Scope.choices,
        initial=PersonalAccessToken.Scope.READ,
        widget=forms.RadioSelect,
        help_text=_("Choose “Read only” unless the app must add or change things for you."),
    )
    days = forms.TypedChoiceField(
        label=_("Stops working after"),
        choices=TOKEN_LIFETIME_CHOICES,
        coerce=int,
        initial=90,
    )
    password = forms.CharField(
        label=_("Your password"),
        strip=False,
        required=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text=_("A token can do what you can, so we ask for your password first."),
    )

    def __init__(self, *args, user: User, ask_password: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.ask_password = ask_password
        self.fields["days"].choices = [  # type: ignore[attr-defined]
            (days, label) for days, label in TOKEN_LIFETIME_CHOICES if days <= settings.TOKEN_MAX_DAYS
        ]
        if not ask_password:
            del self.fields["password"]

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError(_("Please give the token a name."))
        return name

    def clean_password(self):
        password = self.cleaned_data.get("password") or ""
        check_password_again(self.user, password)
        return password


def check_password_again(user: User, password: str) -> None:
    """Checks a password asked for again before a serious step (a token, an export, erasure).

    Wrong tries are audited and counted per account and per client address together with the account;
    past RATE_LIMIT_PASSWORD_REENTRY even the right password is refused for a while, so it cannot be
    guessed by trying many.
    """
    rate = settings.RATE_LIMIT_PASSWORD_REENTRY
    whos = [f"user:{user.pk}", f"user:{user.pk}:client:{address_group(current_client_address())}"]
    if ratelimit.over_limit("password-reentry", whos, rate):
        raise ratelimit.RateLimited(ratelimit.too_many_tries_message(rate), ratelimit.seconds_left(rate))
    if not password or not user.check_password(password):
        for who in whos:
            ratelimit.hit("password-reentry", who, rate)
        record_password_reentry_failed(user)
        raise forms.ValidationError(_("That is not your password. Please try again."))


class CurrentPasswordForm(forms.Form):
    """Asks for the account's password again before a serious step."""

    password = forms.CharField(
        label=_("Your password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    id_prefix = "password"

    def __init__(self, user: User, *args, **kwargs):
        # Both forms share the data page: their fields need ids of their own.
        kwargs.setdefault("auto_id", f"id_{self.id_prefix}_%s")
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self):
        password = self.cleaned_data["password"]
        check_password_again(self.user, password)
        return password


class PasswordChangeForm(DjangoPasswordChangeForm):
    """The current password, then the new one twice; a wrong current password counts like any other."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["new_password1"].help_text = _("At least 10 characters; avoid common passwords.")
        self.fields["new_password2"].label = _("New password again")
        self.fields["new_password2"].help_text = ""

    def clean_old_password(self):
        check_password_again(self.user, self.cleaned_data.get("old_password") or "")
        return self.cleaned_data["old_password"]


class ConfirmAddressForm(forms.Form):
    """The password chosen at sign-up, asked on the page the confirmation link opens."""

    password = forms.CharField(
        label=_("The password you chose"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "autofocus": True}),
    )

    def __init__(self, *args, request, email: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.request, self.email = request, email

    def clean_password(self):
        password = self.cleaned_data["password"]
        # authenticate() so that wrong passwords count towards the same lock-out as the sign-in page.
        if authenticate(self.request, username=self.email, password=password) is None:
            raise forms.ValidationError(
                _("That is not the password chosen when this account was made. Please try again.")
            )
        return password


class ResendVerificationForm(forms.Form):
    email = forms.EmailField(label=_("Email address"), max_length=254)
