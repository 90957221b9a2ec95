"""Sign-up preselects the timezone the device reports, and without JavaScript still offers a choice."""

import pytest
from playwright.sync_api import expect

from circles.accounts.models import User
from circles.tests_browser.conftest import PHONE

pytestmark = pytest.mark.browser

PASSWORD = "quiet-harbour-lantern-7"


def open_sign_up(browser, live_server, **options):
    context = browser.new_context(base_url=live_server.url, viewport=PHONE, locale="en-US", **options)
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.goto("/accounts/signup/")
    return context, page


def test_sign_up_takes_the_devices_timezone(browser, live_server, db):
    context, page = open_sign_up(browser, live_server, timezone_id="America/Chicago")
    expect(page.get_by_label("Your timezone")).to_have_value("America/Chicago")
    context.close()


def test_a_choice_shown_again_after_an_error_is_kept(browser, live_server, db):
    context, page = open_sign_up(browser, live_server, timezone_id="America/Chicago")
    page.get_by_label("Your timezone").select_option("UTC")
    page.get_by_role("button", name="Create account").click()
    expect(page.locator(".form-summary")).to_be_visible()
    expect(page.get_by_label("Your timezone")).to_have_value("UTC")
    context.close()


def test_without_javascript_the_default_is_offered_and_can_be_changed(browser, live_server, db):
    context, page = open_sign_up(
        browser, live_server, timezone_id="America/Chicago", java_script_enabled=False
    )
    field = page.get_by_label("Your timezone")
    expect(field).to_have_value("UTC")
    field.select_option("Asia/Tokyo")
    page.get_by_label("Name you go by").fill("Jo")
    page.get_by_label("Email address").fill("jo@example.org")
    page.get_by_label("Password:", exact=True).fill(PASSWORD)
    page.get_by_label("Password again").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")
    assert User.objects.get().timezone == "Asia/Tokyo"
    context.close()
