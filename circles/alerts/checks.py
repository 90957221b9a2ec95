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


@checks.register(checks.Tags.security, deploy=True)
def check_database_and_email(app_configs, **kwargs):
    """Production on SQLite, and email that would cross the network unencrypted."""
    problems = []
    if settings.DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
        problems.append(
            checks.Warning(
                "The database is SQLite. It keeps one writer at a time on one machine, and the audit "
                "trail's separate owner role needs PostgreSQL.",
                hint="Set DATABASE_URL to a PostgreSQL database (docs/deploy.md).",
                id="circles.W103",
            )
        )
    smtp = settings.EMAIL_BACKEND == "django.core.mail.backends.smtp.EmailBackend"
    if smtp and not (settings.EMAIL_USE_TLS or settings.EMAIL_USE_SSL):
        problems.append(
            checks.Warning(
                "Email is sent over SMTP without TLS: alert, sign-in and password reset emails, and the "
                "mail server password, would cross the network readable.",
                hint="Set EMAIL_USE_TLS=true (STARTTLS, usually port 587) or EMAIL_USE_SSL=true (port 465).",
                id="circles.W104",
            )
        )
    return problems
