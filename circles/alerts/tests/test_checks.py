from circles.alerts.checks import check_alert_settings


def test_deploy_checks_warn_about_links_to_this_machine_and_printed_texts(settings):
    settings.SITE_URL, settings.SMS_PROVIDER = "http://127.0.0.1:8000", "console"
    assert {w.id for w in check_alert_settings(None)} == {"circles.W101", "circles.W102"}
    settings.SITE_URL, settings.SMS_PROVIDER = "https://circles.example.org", "twilio"
    assert check_alert_settings(None) == []
