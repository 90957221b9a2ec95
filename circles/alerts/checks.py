"""`manage.py check --deploy` warnings for alert settings that would fail people silently in production."""

from django.conf import settings
from django.core import checks


@checks.register(checks.Tags.security, deploy=True)
def check_alert_settings(app_configs, **kwargs):
    problems = []
    if settings.SITE_URL.startswith(("http://127.0.0.1", "http://localhost")):
        problems.append(
            checks.Warning(
                "SITE_URL points at this machine, so answer links in alert emails and texts will not work.",
                hint="Set SITE_URL to the public https:// address of the site.",
                id="circles.W101",
            )
        )
    if settings.SMS_PROVIDER != "twilio":
        problems.append(
            checks.Warning(
                "Text messages are only printed to the log (SMS_PROVIDER is not 'twilio').",
                hint="Set TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_FROM_NUMBER, or keep the SMS "
                "channel off the crisis ladders.",
                id="circles.W102",
            )
        )
    return problems
