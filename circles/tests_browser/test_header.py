"""The header with scripts turned off: one row on a 320 px and a 390 px phone and at 1366 px, a menu that
opens from the keyboard or a tap and leads somewhere, "I need help now" in sight without opening it, and
"Log out" only at the end of the menu."""

import re

import pytest
from playwright.sync_api import expect

from circles.network.tests.factories import make_tie
from conftest import PASSWORD

pytestmark = pytest.mark.browser

ONE_ROW = 64  # px: a row of 44 px targets and its padding; two rows would be about 100
MIN_TARGET = 44


@pytest.fixture
def context_options():
    return {"java_script_enabled": False}


@pytest.fixture
def riley_supports_mallory(riley, mallory):
    """Riley has a circle of her own and is in Mallory's: she can switch between the two."""
    make_tie(riley, "Sam")
    make_tie(mallory, "Riley", supporter=riley)
    return riley


def log_in(page, email):
    page.goto("/accounts/login/")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password:", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()


def header_height(page) -> float:
    return page.get_by_role("banner").bounding_box()["height"]


def assert_target(locator):
    box = locator.bounding_box()
    assert box["height"] >= MIN_TARGET and box["width"] >= MIN_TARGET, box


def assert_fits(page):
    """The header's parts stand side by side, none over another, none beyond the screen's edge."""
    width = page.evaluate("window.innerWidth")
    parts = page.locator(".header-row > *, .site-nav > :not(.nav-inline), .nav-inline > li").evaluate_all(
        """nodes => nodes.filter(node => node.getClientRects().length).map(node => {
            const box = node.getBoundingClientRect();
            return [node.className, box.left, box.right, node.scrollWidth, node.clientWidth];
        })"""
    )
    row = [part for part in parts if part[0] != "site-nav"]
    for (name, left, right, scroll_width, client_width), following in zip(row, [*row[1:], None], strict=True):
        assert 0 <= left and right <= width, (name, left, right, width)
        assert scroll_width <= client_width + 1 or client_width == 0, (name, scroll_width, client_width)
        if following is not None:
            assert right <= following[1], (name, right, following)


@pytest.mark.parametrize("width", [320, 390])
def test_on_a_phone_the_header_is_one_row_and_its_menu_works_without_scripts(
    page, riley_supports_mallory, width
):
    page.set_viewport_size({"width": width, "height": 800})
    log_in(page, "riley@example.org")
    expect(page).to_have_url(re.compile(r"/network/$"))
    banner = page.get_by_role("banner")
    assert header_height(page) < ONE_ROW
    assert_fits(page)
    help_now = banner.get_by_role("button", name="I need help now")
    expect(help_now).to_be_in_viewport()
    assert_target(help_now)
    # Closed, the menu hides every page and the way out.
    expect(banner.get_by_role("button", name="Log out")).to_be_hidden()
    expect(banner.get_by_role("link", name="Progress")).to_be_hidden()

    # It opens from the keyboard, shows the mode and its pages, and log out only at its end.
    menu = banner.locator("summary", has_text="Menu")
    assert_target(menu)
    menu.focus()
    page.keyboard.press("Enter")
    nav = page.get_by_role("navigation", name="Main")
    progress = nav.get_by_role("link", name="Progress")
    expect(progress).to_be_visible()
    assert_target(progress)
    expect(nav.get_by_role("button", name="My recovery")).to_have_attribute("aria-pressed", "true")
    log_out = banner.get_by_role("button", name="Log out")
    expect(log_out).to_be_visible()
    assert log_out.bounding_box()["y"] > progress.bounding_box()["y"]
    expect(help_now).to_be_in_viewport()  # still there with the menu open
    assert header_height(page) < ONE_ROW  # the menu lies over the page; the row stays one row

    progress.click()
    expect(page).to_have_url(re.compile(r"/checkins/progress/$"))
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    banner.locator("summary", has_text="Menu").click()
    expect(nav.get_by_role("link", name="Progress")).to_have_attribute("aria-current", "page")

    # The switch, a plain form: "People I support" leads to their page and the menu says so.
    nav.get_by_role("button", name="People I support").click()
    expect(page).to_have_url(re.compile(r"/supporting/$"))
    banner.locator("summary", has_text="Menu").click()
    expect(nav.get_by_role("button", name="People I support")).to_have_attribute("aria-pressed", "true")
    expect(nav.get_by_role("link", name="Check in")).to_have_count(0)
    assert header_height(page) < ONE_ROW


@pytest.mark.parametrize("width", [320, 390])
def test_signed_out_on_a_phone(page, db, width):
    page.set_viewport_size({"width": width, "height": 800})
    page.goto("/")
    banner = page.get_by_role("banner")
    assert header_height(page) < ONE_ROW
    assert_fits(page)
    for name in ["Log in", "Sign up", "Get help now"]:
        link = banner.get_by_role("link", name=name)
        expect(link).to_be_in_viewport()
        assert link.bounding_box()["height"] >= MIN_TARGET
    banner.get_by_role("link", name="Get help now").click()
    expect(page).to_have_url(re.compile(r"/help-now/$"))


def test_a_supporter_with_no_circle_sees_no_member_pages(page, riley, sam):
    make_tie(riley, "Sam", supporter=sam)
    page.set_viewport_size({"width": 320, "height": 800})
    log_in(page, "sam@example.org")
    expect(page).to_have_url(re.compile(r"/supporting/$"))
    assert header_height(page) < ONE_ROW
    banner = page.get_by_role("banner")
    banner.locator("summary", has_text="Menu").click()
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="People I support")).to_have_attribute("aria-current", "page")
    for member_page in ["My circle", "Check in", "Questionnaires", "Progress"]:
        expect(nav.get_by_role("link", name=member_page)).to_have_count(0)
    expect(nav.get_by_role("button", name="My recovery")).to_have_count(0)
    page.goto("/network/")  # an old bookmark: the people they support, not an empty dashboard
    expect(page).to_have_url(re.compile(r"/supporting/$"))


def test_on_a_wide_screen_the_main_pages_stand_in_the_row(page, riley_supports_mallory):
    page.set_viewport_size({"width": 1366, "height": 900})
    log_in(page, "riley@example.org")
    banner = page.get_by_role("banner")
    assert header_height(page) < ONE_ROW
    assert_fits(page)
    nav = page.get_by_role("navigation", name="Main")
    for name in ["My circle", "Check in", "Questionnaires", "Progress"]:
        expect(nav.get_by_role("link", name=name)).to_have_count(1)  # in the row, not again in the menu
        expect(nav.get_by_role("link", name=name)).to_be_visible()
    expect(nav.get_by_role("link", name="My circle")).to_have_attribute("aria-current", "page")
    expect(banner.get_by_role("button", name="I need help now")).to_be_visible()
    expect(banner.get_by_role("button", name="Log out")).to_be_hidden()
    banner.locator("summary", has_text="Menu").click()
    nav.get_by_role("link", name="Commitments").click()
    expect(page).to_have_url(re.compile(r"/network/commitments/$"))
    assert header_height(page) < ONE_ROW
