"""The installed app on a phone: the service worker keeps the crisis page for when there is no connection,
never a personal page; Chromium finds Circles installable; push messages become notifications."""

import json
import re

import pytest
from playwright.sync_api import expect

from circles.tests_browser.conftest import CHROMIUM, CHROMIUM_ARGS, PHONE
from circles.tests_browser.test_accessibility import AXE, Audit
from conftest import PASSWORD

pytestmark = pytest.mark.browser

# What the worker may keep, as the server names it; nothing else may ever be in a cache.
PRECACHED = {
    "/offline/",
    "/static/circles/circles.css",
    "/static/circles/favicon.svg",
    "/static/circles/icons/icon-192.png",
}

CACHED_PATHS = """async () => {
  const paths = [];
  for (const name of await caches.keys()) {
    const cache = await caches.open(name);
    for (const request of await cache.keys()) { paths.push(new URL(request.url).pathname); }
  }
  return paths;
}"""

CACHED_TEXT = """async () => {
  let text = "";
  for (const name of await caches.keys()) {
    const cache = await caches.open(name);
    for (const request of await cache.keys()) {
      const response = await cache.match(request);
      if ((response.headers.get("content-type") || "").startsWith("text/")) {
        text += await response.text();
      }
    }
  }
  return text;
}"""


CONTROLLED = """() => new Promise(resolve => {
  if (navigator.serviceWorker.controller) { resolve(); return; }
  navigator.serviceWorker.addEventListener("controllerchange", () => resolve());
})"""


def wait_for_the_worker(page):
    """Until the service worker controls the page (its precache is complete by then)."""
    page.evaluate(CONTROLLED)
    return page.evaluate("navigator.serviceWorker.ready.then(r => r.active.state)")


def log_in(page, email):
    page.goto("/accounts/login/")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password:", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/network/$"))


def expect_the_offline_crisis_page(page):
    expect(page.get_by_role("heading", level=1)).to_have_text("Get help now")
    expect(page.get_by_role("status")).to_contain_text("You are offline")
    expect(page.get_by_text("“I need help now” button needs a connection")).to_be_visible()
    crisis = page.get_by_role("region", name="Help is available right now")
    expect(crisis.get_by_role("link", name="Call 988")).to_have_attribute("href", "tel:988")
    expect(crisis.get_by_role("link", name="Text 988")).to_have_attribute("href", "sms:988")
    expect(crisis.get_by_role("link", name="Call 911")).to_have_attribute("href", "tel:911")
    # The stylesheet came from the cache too: the crisis box has its red border.
    assert page.evaluate("getComputedStyle(document.querySelector('.crisis')).borderTopStyle") == "solid"


def test_the_crisis_page_is_there_without_a_connection(page, context, db, offsite_requests):
    page.goto("/")
    assert wait_for_the_worker(page) == "activated"
    assert set(page.evaluate(CACHED_PATHS)) == PRECACHED

    context.set_offline(True)
    page.goto("/help-now/")
    expect_the_offline_crisis_page(page)
    assert page.url.endswith("/help-now/")  # shown in place of the page asked for
    page.goto("/accounts/signup/")
    expect_the_offline_crisis_page(page)

    # Back online, pages come from the server again.
    context.set_offline(False)
    page.goto("/accounts/signup/")
    expect(page.get_by_role("heading", level=1)).not_to_have_text("Get help now")
    expect(page.get_by_text("You are offline")).to_have_count(0)
    assert offsite_requests == []


def test_a_signed_in_page_is_never_kept(page, context, riley):
    log_in(page, "riley@example.org")
    wait_for_the_worker(page)
    page.goto("/network/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert "Riley" in page.content()
    page.goto("/accounts/settings/")
    expect(page.get_by_text("You log in as riley@example.org")).to_be_visible()

    # Only the precached files are kept, and nothing in them names Riley.
    assert set(page.evaluate(CACHED_PATHS)) == PRECACHED
    kept = page.evaluate(CACHED_TEXT)
    assert "Get help now" in kept and "Riley" not in kept and "riley@example.org" not in kept

    # Riley's page is still on screen when the connection drops; she presses "I need help now".
    page.goto("/network/")
    context.set_offline(True)
    page.get_by_role("button", name="I need help now").first.click()
    expect_the_offline_crisis_page(page)
    assert "Riley" not in page.content()

    page.goto("/network/")
    expect_the_offline_crisis_page(page)
    assert "Riley" not in page.content() and "riley@example.org" not in page.content()
    page.goto("/accounts/settings/")
    expect_the_offline_crisis_page(page)
    assert "riley@example.org" not in page.content()


def test_chromium_finds_circles_installable(browser, live_server, tmp_path, db):
    # An ordinary profile: Chromium offers no installing in the incognito-like browser.new_context.
    context = browser.browser_type.launch_persistent_context(
        tmp_path / "profile",
        executable_path=CHROMIUM,
        headless=True,
        args=CHROMIUM_ARGS,
        base_url=live_server.url,
        viewport=PHONE,
        locale="en-US",
    )
    try:
        page = context.new_page()
        page.goto("/install/")
        wait_for_the_worker(page)
        cdp = context.new_cdp_session(page)
        manifest = cdp.send("Page.getAppManifest")
        assert manifest["errors"] == [], manifest["errors"]
        assert manifest["url"].endswith("/manifest.webmanifest")
        assert cdp.send("Page.getInstallabilityErrors")["installabilityErrors"] == []
        # Chromium offers to install (beforeinstallprompt), so the page shows its button beside the steps.
        expect(page.get_by_role("button", name="Install Circles")).to_be_visible()
        expect(page.get_by_role("heading", name="iPhone and iPad (Safari)")).to_be_visible()
    finally:
        context.close()


def push_sender(page, context):
    """send(data): hands the worker a push message through the DevTools protocol, as a push service would."""
    cdp = context.new_cdp_session(page)
    registrations = []
    cdp.on(
        "ServiceWorker.workerRegistrationUpdated", lambda event: registrations.extend(event["registrations"])
    )
    cdp.send("ServiceWorker.enable")
    origin = page.evaluate("location.origin")

    def ours():
        return [r for r in registrations if r["scopeURL"] == origin + "/" and not r["isDeleted"]]

    # The registrations arrive as events after enable() answers; wait for ours as expect() would.
    for _round_trip in range(200):
        if ours():
            break
        page.wait_for_timeout(50)
    assert ours(), registrations
    registration_id = ours()[0]["registrationId"]

    def send(data: str):
        cdp.send(
            "ServiceWorker.deliverPushMessage",
            {"origin": origin, "registrationId": registration_id, "data": data},
        )

    return send


# Notes each notification the worker shows, in the worker itself: the browser's own list
# (registration.getNotifications) drops notifications in headless Chromium when the machine is busy.
RECORD_NOTIFICATIONS = """() => {
  self.shownInTest = [];
  const show = self.registration.showNotification.bind(self.registration);
  self.registration.showNotification = (title, options) => {
    self.shownInTest.push({
      title: title, body: options.body, tag: options.tag || "", renotify: !!options.renotify,
      icon: options.icon, url: options.data.url
    });
    return show(title, options);
  };
}"""


def shown_notifications(page, worker, count):
    """The notifications the worker has shown, once there are `count` of them (waiting as expect() does)."""
    for _round_trip in range(200):
        shown = worker.evaluate("() => self.shownInTest")
        if len(shown) >= count:
            break
        page.wait_for_timeout(50)
    return shown


def test_a_push_message_becomes_a_notification(page, context, live_server, db):
    context.grant_permissions(["notifications"])
    page.goto("/")
    wait_for_the_worker(page)
    [worker] = context.service_workers
    worker.evaluate(RECORD_NOTIFICATIONS)
    send = push_sender(page, context)

    send(
        json.dumps(
            {
                "title": "Riley could use support now",
                "body": "Open Circles",
                "url": "/alerts/asked/7/",
                "tag": "a7",
            }
        )
    )
    [shown] = shown_notifications(page, worker, 1)
    assert shown == {
        "title": "Riley could use support now",
        "body": "Open Circles",
        "tag": "a7",  # a newer one with this tag replaces it on the device, and is heard
        "renotify": True,
        "icon": "/static/circles/icons/icon-192.png",
        "url": live_server.url + "/alerts/asked/7/",
    }

    # One without a payload is a plain Circles notice; a link to another site is never opened.
    send("")
    send(json.dumps({"title": "Elsewhere", "body": "x", "url": "https://example.org/"}))
    _first, plain, elsewhere = shown_notifications(page, worker, 3)
    assert (plain["title"], plain["body"], plain["tag"]) == (
        "Circles",
        "Something new in Circles. Open it to see.",
        "",
    )
    assert plain["url"] == live_server.url + "/"
    assert elsewhere["title"] == "Elsewhere" and elsewhere["url"] == live_server.url + "/"


def test_the_install_and_offline_pages_pass_axe(browser, live_server, db):
    # axe is added to the page as a script of its own, which the CSP would refuse: a context without it.
    context = browser.new_context(base_url=live_server.url, viewport=PHONE, locale="en-US", bypass_csp=True)
    try:
        audit = Audit(context.new_page(), AXE.read_text())
        for path in ("/install/", "/offline/", "/help-now/"):
            audit.visit(path)
        audit.assert_clean()
    finally:
        context.close()
