"""A new member's first visit on a phone: sign up, map a circle, log contact, set a commitment."""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from circles.accounts.outbox import send_pending_account_emails
from circles.tests_browser.conftest import open_menu

pytestmark = pytest.mark.browser

PASSWORD = "quiet-harbour-lantern-7"
# name, relationship, closeness, stance, strain: one tie in each pillar, plus one who supports use.
TIES = [
    ("Mum", "Parent", "Inner circle — closest", "Supports my recovery", "Conflict"),
    ("Sam", "Sponsor", "Inner circle — closest", "Supports my recovery", None),
    ("Dana", "Counselor", "Middle circle", "Supports my recovery", None),
    ("Chris", "Friend", "Outer circle", "Supports my use", None),
]


def sign_up(page):
    page.goto("/")
    page.get_by_role("link", name="Create your circle").click()
    page.get_by_label("Name you go by").fill("Jo")
    page.get_by_label("Email address").fill("jo@example.org")
    page.get_by_label("Your timezone").select_option("Europe/Madrid")
    page.get_by_label("Password:", exact=True).fill(PASSWORD)
    page.get_by_label("Password again").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")
    # The worker sends the link; here the test sends it, then follows it as the person would.
    send_pending_account_emails()
    link = re.search(r"https?://[^/\s]+(/accounts/verify/\S+)", mail.outbox[-1].body).group(1)
    page.goto(link)
    page.get_by_label("The password you chose").fill(PASSWORD)
    page.get_by_role("button", name="Confirm and sign in").click()


def add_tie(page, name, relationship, closeness, stance, strain, *, another):
    page.get_by_label("Name:", exact=True).fill(name)
    page.get_by_label("Relationship:", exact=True).select_option(label=relationship)
    page.get_by_label(closeness).check()
    page.get_by_label("Their stance toward your recovery").select_option(label=stance)
    if strain:
        page.get_by_label(strain).check()
    page.get_by_role("button", name="Save and add another" if another else "Save", exact=True).click()
    expect(page.locator(".messages")).to_contain_text(f"{name} is in your circle.")


def expect_circle(page):
    """The overview shows Jo's circle: one mark per tie on the map, suggestions, and the map's table."""
    expect(page.get_by_role("heading", level=1)).to_have_text("Jo's circle")
    the_map = page.locator("svg.network-map")
    expect(the_map).to_be_visible()
    marks = the_map.locator("a[aria-label]")
    expect(marks).to_have_count(len(TIES))
    assert sorted(mark.get_attribute("aria-label") for mark in marks.all()) == [
        "Chris, supports use",
        "Dana, supports recovery",
        "Mum, supports recovery, strained",
        "Sam, supports recovery",
    ]
    expect(page.locator("ul.suggestions li").first).to_be_visible()

    page.get_by_text("The map as a table").click()
    expect(page.locator("details", has_text="The map as a table")).to_have_attribute("open", "")
    table = page.get_by_role("table", name="Ties shown on the map")
    expect(table).to_be_visible()
    expect(table.locator("tbody tr")).to_have_count(len(TIES))
    for name, *_rest in TIES:
        expect(table.get_by_role("link", name=name, exact=True)).to_be_visible()


def test_new_member_maps_their_circle_and_comes_back(page, offsite_requests):
    sign_up(page)
    expect(page).to_have_url(re.compile(r"//[^/]+/network/ties/new/$"))
    expect(page.locator(".messages")).to_contain_text("Welcome to Circles")
    expect(page.get_by_role("heading", level=1)).to_have_text("Add someone to your circle")

    for index, tie in enumerate(TIES):
        add_tie(page, *tie, another=index < len(TIES) - 1)
    expect(page.get_by_role("heading", level=1)).to_have_text("Chris")
    expect(page.locator("dl")).to_contain_text("Supports my use")

    open_menu(page).get_by_role("link", name="Contact log").click()
    page.get_by_role("link", name="Log contact").click()
    page.get_by_label("With:", exact=True).select_option(label="Sam")
    page.get_by_label("Kind of contact").select_option(label="Call")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messages")).to_contain_text("Contact with Sam logged.")
    expect(page.locator("tbody tr")).to_have_count(1)
    expect(page.locator("tbody tr")).to_contain_text(re.compile(r"Sam\s+Call"))

    open_menu(page).get_by_role("link", name="Commitments").click()
    page.get_by_role("link", name="Add a commitment").click()
    page.get_by_label("What you intend").fill("Call Sam on Fridays")
    page.get_by_label("With:", exact=True).select_option(label="Sam")
    page.get_by_label("Every week on chosen days").check()
    page.get_by_label("Friday").check()
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messages")).to_contain_text("Commitment saved.")
    expect(page.locator("tbody tr")).to_contain_text(re.compile(r"Call Sam on Fridays\s+Sam"))

    open_menu(page).get_by_role("link", name="My circle").click()
    expect_circle(page)

    open_menu(page).get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Recovery is easier together")
    page.goto("/network/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/network/$"))
    page.get_by_label("Email address").fill("jo@example.org")
    page.get_by_label("Password:", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"//[^/]+/network/$"))
    expect_circle(page)

    assert offsite_requests == []
