"""Keeps a signed-in session that still owes a second factor away from everything but the way forward.

After the password, a person with two-factor sign-in reaches only the code page until they give a code;
a professional or organization administrator without it reaches only the page that sets it up. Both can
always sign out and reach the public crisis resources. The API answers such a session with JSON 403; a
personal access token is judged on its own (circles/accounts/auth.py), never by the session beside it.
"""

from urllib.parse import urlencode

from django.contrib.auth.models import AnonymousUser
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from circles.accounts.twofactor import SessionState, session_state

# Open to anyone, whatever their session owes: signing out, the help page, the link in an alert email
# (it carries its own signed token), and the health check.
ALWAYS_OPEN = frozenset({"accounts:logout", "help_now", "alerts:answer", "healthz"})
CODE_PAGE = "accounts:login_code"
ENROLMENT_PAGE = "accounts:twofactor"
API_NAMESPACE = "api"


class SecondFactorMiddleware:
    """Runs after AuthenticationMiddleware and django-otp's OTPMiddleware (settings.MIDDLEWARE)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        match = request.resolver_match
        view_name = match.view_name if match is not None else ""
        is_api = match is not None and API_NAMESPACE in match.namespaces
        state = session_state(request)
        if state is SessionState.FREE:
            return None

        if is_api:
            if "Authorization" in request.headers:
                # Only the token may vouch for this request: the unfinished session must not.
                request.user = AnonymousUser()
                return None
            if state is SessionState.OWES_CODE:
                message = _("Finish signing in first: enter the code from your authenticator app.")
            else:
                message = _("Set up two-factor sign-in first: your role needs it.")
            return JsonResponse({"message": message, "errors": {}}, status=403)

        if view_name in ALWAYS_OPEN:
            if state is SessionState.OWES_CODE and view_name != "accounts:logout":
                # Without the code this session is not signed in yet: a press of "I need help now" shows
                # the resources as to anyone, but alerts nobody in the person's name.
                request.user = AnonymousUser()
            return None
        if state is SessionState.OWES_CODE:
            if view_name == CODE_PAGE:
                return None
            return redirect(_with_next(reverse(CODE_PAGE), request))
        if view_name == ENROLMENT_PAGE:
            return None
        return redirect(reverse(ENROLMENT_PAGE))


def _with_next(url: str, request) -> str:
    if request.method != "GET":
        return url
    return f"{url}?{urlencode({'next': request.get_full_path()})}"
