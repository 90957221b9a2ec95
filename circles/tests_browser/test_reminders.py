"""The reminders page and the unsubscribe pages on a phone, without JavaScript: axe finds nothing
serious or critical, nothing scrolls sideways, and the form works with the keyboard and a tap."""

import pytest
from playwright.sync_api import expect

from circles.notices.models import ReminderPreferences
from circles.notices.sending import unsubscribe_token
from circles.tests_browser.page_states import PASSWORD, log_in
from circles.tests_browser.test_accessibility import AXE, Audit
from conftest import make_persona

pytestmark = pytest.mark.browser


@pytest.fixture
def context_options():
    # axe is injected inline, which the CSP forbids; the pages themselves run without JavaScript.
    return {"bypass_csp": True}


@pytest.fixture
def audit(page):
    return Audit(page, AXE.read_text())


def fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_reminders_page_on_a_phone(page, audit, transactional_db, offsite_requests):
    riley = make_persona("riley")
    log_in(page, riley.email, PASSWORD)
    audit.visit("/accounts/settings/")
    page.get_by_role("link", name="Reminders and notices by email or on your phone").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Reminders")
    audit.check("/accounts/reminders/")
    assert fits(page)

    page.get_by_label("Remind me to check in each day").check()
    page.get_by_label("quiet hours from").fill("22:00")
    page.get_by_role("button", name="Save reminders").click()
    expect(page.locator(".form-summary")).to_be_visible()
    audit.check("/accounts/reminders/, with errors")
    assert fits(page)

    page.get_by_label("quiet hours until").fill("07:00")
    page.get_by_role("button", name="Save reminders").click()
    expect(page.locator(".messages")).to_contain_text("Your reminders are saved.")
    saved = ReminderPreferences.objects.get(person=riley)
    assert saved.checkin_on and str(saved.quiet_until) == "07:00:00"

    audit.assert_clean()
    assert offsite_requests == []


def test_unsubscribe_pages(page, audit, transactional_db, offsite_requests):
    riley = make_persona("riley")
    ReminderPreferences.objects.create(person=riley, checkin_on=True)
    url = f"/notices/unsubscribe/{unsubscribe_token(riley.pk, 'checkin')}/"
    audit.visit(url)
    assert fits(page)
    page.get_by_role("button", name="Stop these emails").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Emails stopped")
    audit.check(f"{url}, done")
    assert not ReminderPreferences.objects.get(person=riley).checkin_on
    response = page.goto("/notices/unsubscribe/altered/")
    assert response is not None and response.status == 400
    audit.check("unsubscribe, altered link")
    audit.assert_clean()
    assert offsite_requests == []
