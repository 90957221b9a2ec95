"""What happens on every sign-in: the audit trail records it (and a wrong password for a known account),
and the session remembers when it began, for its absolute lifetime."""

from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import receiver

from circles.accounts.actions import record_sign_in, warn_of_many_wrong_passwords
from circles.accounts.auth import mark_recently_authenticated
from circles.accounts.models import User
from circles.accounts.sessions import start_session_clock
from circles.accounts.twofactor import has_second_factor


@receiver(user_logged_in, dispatch_uid="circles.accounts.signed_in")
def signed_in(sender, request, user, **kwargs):
    # With two-factor sign-in the password is only the first step: the sign-in is recorded once the
    # code is given (twofactor_views.login_code), and this step as "right password, code asked".
    record_sign_in(user, succeeded=True, password_only=has_second_factor(user))
    if request is not None and hasattr(request, "session"):
        start_session_clock(request, user)
        mark_recently_authenticated(request)


@receiver(user_login_failed, dispatch_uid="circles.accounts.sign_in_failed")
def sign_in_failed(sender, credentials, request=None, **kwargs):
    address = str((credentials or {}).get("username") or "").strip().lower()
    user = User.objects.filter(email=address).first() if address else None
    if user is not None:
        record_sign_in(user, succeeded=False)
        warn_of_many_wrong_passwords(user)
