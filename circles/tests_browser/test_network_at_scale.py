"""My circle with 500 people, on a 320 px phone: readable, accessible, and its table paged without JS."""

import os
import re
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import expect

from circles.accounts.actions import do_sign_up
from circles.network.tests.test_map_at_scale import grow_large_circle

pytestmark = pytest.mark.browser

PASSWORD = "wide-circle-lantern-8"
AXE = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = {"serious", "critical"}
NARROW = {"width": 320, "height": 700}


@pytest.fixture
def context_options():
    """A 320 px wide phone with no JavaScript at all: paging the table and opening it are plain links
    and <details>. (axe runs in a second context, with scripts.)"""
    return {"viewport": NARROW, "java_script_enabled": False}


@pytest.fixture
def lee(transactional_db):
    member = do_sign_up(
        email="lee@example.org", password=PASSWORD, display_name="Lee", timezone_name="Europe/Madrid"
    )
    grow_large_circle(member, 500)
    return member


def log_in(page):
    page.goto("/accounts/login/")
    page.get_by_label("Email address").fill("lee@example.org")
    page.get_by_label("Password:", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"//[^/]+/network/$"))


def serious_violations(browser, live_server, path, cookies) -> list[str]:
    """axe-core's serious and critical findings on a page, in a context with scripts allowed."""
    context = browser.new_context(base_url=live_server.url, viewport=NARROW, bypass_csp=True)
    try:
        context.add_cookies(cookies)
        page = context.new_page()
        page.goto(path)
        page.add_script_tag(content=AXE.read_text())
        page.evaluate("document.querySelectorAll('details').forEach((d) => { d.open = true; })")
        result = page.evaluate("axe.run()")
    finally:
        context.close()
    return [f"{v['id']}: {v['help']}" for v in result["violations"] if v["impact"] in BLOCKING]


def test_a_circle_of_500_on_a_narrow_phone_without_javascript(
    page, browser, live_server, lee, offsite_requests
):
    log_in(page)
    map_svg = page.locator("svg.network-map")
    expect(map_svg).to_be_visible()
    assert map_svg.locator("a").count() <= 60
    expect(map_svg.get_by_role("img", name=re.compile(r"^Outer circle, peer: \d+ people"))).to_have_count(1)
    # Nothing but the map's own scroll region is wider than the screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= NARROW["width"]
    if os.environ.get("CIRCLES_SCREENSHOTS"):
        map_svg.screenshot(path=os.environ["CIRCLES_SCREENSHOTS"] + "/network-500-map.png")

    page.get_by_text("The map as a table").click()
    table = page.locator("#map-table")
    expect(table.locator("caption")).to_contain_text("(1–50 of 500)")
    table.get_by_role("link", name="Next").click()
    expect(page).to_have_url(re.compile(r"/network/\?page=2#map-table$"))
    expect(page.locator("#map-table caption")).to_contain_text("(51–100 of 500)")
    expect(page.locator("#map-table tbody tr")).to_have_count(50)
    assert page.evaluate("document.documentElement.scrollWidth") <= NARROW["width"]

    cookies = page.context.cookies()
    for path in ("/network/", "/network/?page=10"):
        assert serious_violations(browser, live_server, path, cookies) == [], path
    assert offsite_requests == []
