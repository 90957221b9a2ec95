"""The settings page's "Notifications on this device": the button appears only where the script can
work; without JavaScript the page says that turning notifications on needs it."""

import pytest
from playwright.sync_api import expect

from circles.accounts.tests.push_service import vapid_settings
from circles.tests_browser.conftest import PHONE
from conftest import PASSWORD

pytestmark = pytest.mark.browser


def settings_page(browser, live_server, **options):
    context = browser.new_context(base_url=live_server.url, viewport=PHONE, locale="en-US", **options)
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.goto("/accounts/login/")
    page.get_by_label("Email address").fill("sam@example.org")
    page.get_by_label("Password:", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    page.goto("/accounts/settings/")
    return context, page


@pytest.fixture
def vapid(settings):
    return vapid_settings(settings)[0]


def test_with_javascript_the_button_is_offered(browser, live_server, sam, vapid):
    context, page = settings_page(browser, live_server)
    section = page.get_by_role("region", name="Notifications on this device")
    expect(section.get_by_role("button", name="Turn on notifications on this device")).to_be_visible()
    expect(section.get_by_text("needs JavaScript")).to_be_hidden()
    expect(section.get_by_text("None yet.")).to_be_visible()
    context.close()


def test_without_javascript_the_page_says_so(browser, live_server, sam, vapid):
    context, page = settings_page(browser, live_server, java_script_enabled=False)
    section = page.get_by_role("region", name="Notifications on this device")
    expect(section.get_by_text("Turning notifications on needs JavaScript")).to_be_visible()
    expect(section.get_by_role("button", name="Turn on notifications on this device")).to_be_hidden()
    context.close()


def test_a_browser_that_refuses_push_is_told_plainly_not_to_retry(browser, live_server, sam, vapid):
    """Chromium's private windows (a Playwright context is one) have no push service: pressing the button
    must end in a plain sentence, not a spinner that never stops nor a "try again" that cannot work."""
    context, page = settings_page(browser, live_server)
    context.grant_permissions(["notifications"])
    section = page.get_by_role("region", name="Notifications on this device")
    button = section.get_by_role("button", name="Turn on notifications on this device")
    box = button.bounding_box()
    assert box is not None and box["height"] >= 24  # styled like every other button
    button.click()
    status = section.get_by_role("status")
    expect(status).to_contain_text("does not allow notifications here", timeout=30_000)
    expect(button).to_be_hidden()
    context.close()
