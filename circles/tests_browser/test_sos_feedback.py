"""Riley presses "I need help now" on a phone: before asking, the page says whom it will ask; after, it
names Sam, how Sam is reached and when Jamie is asked if Sam does not answer, and it follows along by
itself when the next step starts. Without JavaScript the same words are on the page."""

import re
import zoneinfo

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from circles.alerts import logic
from circles.alerts.delivery import work_due
from circles.alerts.models import Alert, EscalationTimer
from circles.alerts.tests.factories import askable, ladder
from circles.tests_browser.conftest import PHONE
from circles.tests_browser.test_alerts import log_in

pytestmark = pytest.mark.browser


@pytest.fixture
def sam_then_jamie(riley, sam, jamie):
    """Riley's ladder: Sam by text message and email, then Jamie; both may be asked."""
    sam_tie = askable(riley, sam)
    sam_tie.phone = "+1 555 010 0199"
    sam_tie.save(update_fields=["phone"])
    jamie_tie = askable(riley, jamie, name="Jamie", relationship="peer_mentor")
    ladder(riley, sam_tie, jamie_tie, window=10, channels=(logic.SMS, logic.EMAIL))
    return riley


def next_step_time(alert: Alert, member) -> str:
    """When the current step's time runs out, as Riley's own clock reads it."""
    timer = EscalationTimer.objects.get(alert=alert, fired_at__isnull=True)
    return timer.due_at.astimezone(zoneinfo.ZoneInfo(member.timezone)).strftime("%H:%M")


def press_help_and_ask(page):
    page.get_by_role("banner").get_by_role("button", name="I need help now").click()
    expect(page).to_have_url(re.compile(r"/help-now/$"))
    sos = page.get_by_role("region", name="Ask the people on your crisis ladder")
    expect(sos).to_contain_text("Circles will ask Sam by email and text message first")
    expect(sos).to_contain_text("If nobody answers within 10 minutes, Jamie will be asked next.")
    sos.get_by_role("button", name="Yes, ask them now").click()
    expect(page).to_have_url(re.compile(r"/alerts/\d+/$"))


def test_the_sos_page_names_sam_the_channel_and_when_jamie_is_asked(page, sam_then_jamie, offsite_requests):
    riley = sam_then_jamie
    log_in(page, "riley@example.org")
    press_help_and_ask(page)
    alert = Alert.objects.get(member=riley)
    status = page.locator("#alert-status").get_by_role("status")
    expect(status).to_contain_text("Asking Sam by email and text message now.")
    expect(status).to_contain_text(
        f"If nobody answers by {next_step_time(alert, riley)}, Jamie will be asked next."
    )
    page.evaluate("window.stillTheSamePage = true")

    # Sam's time runs out: the worker asks Jamie, and the open page says so without being reloaded.
    EscalationTimer.objects.filter(alert=alert).update(due_at=timezone.now())
    assert work_due("browser-test").timers == 1
    expect(status).to_contain_text("Asking Jamie by email now.", timeout=15_000)
    expect(status).to_contain_text("Nobody else is on your ladder after this step")
    assert page.evaluate("window.stillTheSamePage") is True

    # Pressing the button again shows who is being asked right there, instead of asking again.
    page.get_by_role("banner").get_by_role("button", name="I need help now").click()
    already = page.get_by_role("region", name="You have already asked your ladder")
    expect(already.get_by_role("status")).to_contain_text("Asking Jamie by email now.")
    assert Alert.objects.filter(member=riley).count() == 1
    assert offsite_requests == []


def test_without_javascript_the_page_still_says_who_and_when(browser, live_server, sam_then_jamie):
    riley = sam_then_jamie
    context = browser.new_context(
        base_url=live_server.url,
        viewport=PHONE,
        locale="en-US",
        timezone_id="Europe/Madrid",
        java_script_enabled=False,
    )
    context.set_default_timeout(10_000)
    try:
        page = context.new_page()
        log_in(page, "riley@example.org")
        press_help_and_ask(page)
        alert = Alert.objects.get(member=riley)
        status = page.locator("#alert-status").get_by_role("status")
        expect(status).to_contain_text("Asking Sam by email and text message now.")
        expect(status).to_contain_text(
            f"If nobody answers by {next_step_time(alert, riley)}, Jamie will be asked next."
        )
    finally:
        context.close()
