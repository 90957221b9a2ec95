import pytest
from django.test import override_settings

from circles.alerts.checks import check_alert_settings, check_database_and_email


def test_deploy_checks_warn_about_links_to_this_machine_and_printed_texts(settings):
    settings.SITE_URL, settings.SMS_PROVIDER = "http://127.0.0.1:8000", "console"
    assert {w.id for w in check_alert_settings(None)} == {"circles.W101", "circles.W102"}
    settings.SITE_URL, settings.SMS_PROVIDER = "https://circles.example.org", "twilio"
    assert check_alert_settings(None) == []


SMTP = "django.core.mail.backends.smtp.EmailBackend"


@override_settings(EMAIL_BACKEND=SMTP, EMAIL_USE_TLS=True, EMAIL_USE_SSL=False)
def test_production_on_sqlite_is_warned_about(settings, monkeypatch):
    monkeypatch.setitem(settings.DATABASES["default"], "ENGINE", "django.db.backends.sqlite3")
    assert [w.id for w in check_database_and_email(None)] == ["circles.W103"]
    monkeypatch.setitem(settings.DATABASES["default"], "ENGINE", "django.db.backends.postgresql")
    assert check_database_and_email(None) == []


@pytest.mark.parametrize(
    ("backend", "use_tls", "use_ssl", "warned"),
    [
        (SMTP, False, False, True),
        (SMTP, True, False, False),
        (SMTP, False, True, False),
        ("django.core.mail.backends.console.EmailBackend", False, False, False),
    ],
)
def test_smtp_without_tls_is_warned_about(settings, monkeypatch, backend, use_tls, use_ssl, warned):
    monkeypatch.setitem(settings.DATABASES["default"], "ENGINE", "django.db.backends.postgresql")
    with override_settings(EMAIL_BACKEND=backend, EMAIL_USE_TLS=use_tls, EMAIL_USE_SSL=use_ssl):
        ids = [w.id for w in check_database_and_email(None)]
    assert ids == (["circles.W104"] if warned else [])
