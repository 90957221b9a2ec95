"""Calling Riley from Circles: Sam, on a phone, gets a Call button (tel:) for Riley only while Riley shares
"How to reach me" with Sam, and none after Riley stops; a supporter without that scope never sees one."""

import re

import pytest
from playwright.sync_api import expect

from circles.sharing import logic
from circles.sharing.tests.factories import grant, link
from conftest import PASSWORD

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1280, "height": 900}


def log_in(page, email):
    page.goto("/accounts/login/")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password:", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()


@pytest.fixture
def new_page(browser, live_server):
    """new_page() -> a page in a browser of its own (its own cookies), for another person."""
    contexts = []

    def make():
        context = browser.new_context(base_url=live_server.url, viewport=DESKTOP, locale="en-US")
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


def call_buttons(page):
    return page.locator('a[href^="tel:"]')


def test_sam_can_call_riley_only_while_riley_shares_how_to_reach_her(page, new_page, riley, sam, mallory):
    sam_tie = link(riley, sam)
    grant(sam_tie, [logic.CHECKED_IN])
    grant(link(riley, mallory, name="Mallory", relationship="friend"), [logic.CHECKED_IN])
    member = new_page()  # Riley, at a desktop

    # Sam, on a phone, sees what Riley shares, and no way to call her yet.
    log_in(page, "sam@example.org")
    page.goto(f"/supporting/{riley.pk}/")
    expect(page.get_by_text("Checked in today")).to_be_visible()
    expect(call_buttons(page)).to_have_count(0)

    # Riley enters her number once, then shares "How to reach me" with Sam.
    log_in(member, "riley@example.org")
    member.goto("/sharing/reach/")
    member.get_by_label("Your phone number").fill("+1 (555) 010-0142")
    member.get_by_label("A call").check()
    member.get_by_role("button", name="Save").click()
    expect(member.get_by_text("shows your number +1 (555) 010-0142")).to_be_visible()
    member.goto(f"/sharing/ties/{sam_tie.pk}/")
    member.get_by_label("How to reach me (my phone number").check()
    member.get_by_label("Type your full name to sign").fill("Riley Example")
    member.get_by_role("button", name="Sign and save").click()
    expect(member.locator(".messages")).to_contain_text("Saved. Sam sees what you chose from now on.")

    # Sam's next request shows the Call button first, the way Riley prefers.
    page.reload()
    call = page.get_by_role("link", name="Call Riley")
    expect(call).to_be_visible()
    expect(call).to_have_attribute("href", "tel:+15550100142")
    expect(page.locator(".reach-links a").first).to_have_text("Call Riley")
    expect(page.get_by_role("link", name="Text Riley")).to_have_attribute("href", "sms:+15550100142")
    box = call.bounding_box()
    assert box is not None and box["width"] >= 24 and box["height"] >= 24  # a target a thumb can hit
    page.goto("/supporting/")
    expect(page.get_by_role("link", name="Call Riley")).to_have_attribute("href", re.compile(r"^tel:\+1"))

    # A supporter Riley shares something else with sees no way to reach her.
    other = new_page()
    log_in(other, "mallory@example.org")
    other.goto(f"/supporting/{riley.pk}/")
    expect(other.get_by_text("Checked in today")).to_be_visible()
    expect(call_buttons(other)).to_have_count(0)
    expect(other.locator('a[href^="sms:"], a[href^="mailto:riley"]')).to_have_count(0)
    expect(other.get_by_text("555")).to_have_count(0)

    # Riley stops sharing with Sam: the button is gone on Sam's next request.
    member.goto("/sharing/")
    member.get_by_role("button", name="Stop sharing with Sam").click()
    expect(member.locator(".messages")).to_contain_text("You no longer share anything with Sam.")
    page.goto(f"/supporting/{riley.pk}/")
    expect(page.get_by_text("Riley is not sharing anything with you right now.")).to_be_visible()
    expect(call_buttons(page)).to_have_count(0)
