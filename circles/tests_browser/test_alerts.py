"""Asking for support, in several browsers: Riley presses "I need help now" on a phone and asks her ladder,
Sam answers from the emailed link while Riley's page updates by itself; and Sam answers from the app."""

import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from circles.alerts.actions import do_raise_sos
from circles.alerts.delivery import work_due
from circles.alerts.models import Alert, AlertStatus
from circles.alerts.tests.factories import askable, ladder
from circles.checkins.tests.factories import make_checkin
from circles.tests_browser.conftest import PHONE, open_menu
from conftest import PASSWORD

pytestmark = pytest.mark.browser

MESSAGE = "Rough night, could you call me?"
STRUGGLE = "The anniversary of Dad's death is coming up."


@pytest.fixture
def riley_asks_sam(riley, sam, live_server, settings):
    """Riley's ladder has one step, Sam, who may be asked; links in messages point at the live server."""
    settings.SITE_URL = live_server.url
    ladder(riley, askable(riley, sam))
    return riley


@pytest.fixture
def new_page(browser, live_server, offsite_requests):
    """new_page(**options) -> a page in a browser context of its own (its own cookies), on a phone; its
    off-site requests are added to `offsite_requests`."""
    ours = urlsplit(live_server.url).netloc
    contexts = []

    def record(request):
        url = urlsplit(request.url)
        if url.scheme not in {"data", "blob", "about"} and url.netloc != ours:
            offsite_requests.append(request.url)

    def make(**options):
        context = browser.new_context(
            base_url=live_server.url, viewport=PHONE, locale="en-US", timezone_id="Europe/Madrid", **options
        )
        context.set_default_timeout(10_000)
        context.on("request", record)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


def log_in(page, email):
    page.goto("/accounts/login/")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password:", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()


def status_line(page):
    return page.locator("#alert-status").get_by_role("status")


def sam_row(page):
    return page.get_by_role("table", name="Each person on each step, and how the message went").get_by_role(
        "row", name=re.compile("Sam")
    )


def test_sos_from_a_phone_answered_from_the_emailed_link(
    page, new_page, riley_asks_sam, live_server, mailoutbox, offsite_requests
):
    # Riley, signed in on a phone, presses the button in the header and sees where to get help at once.
    log_in(page, "riley@example.org")
    expect(page.get_by_role("heading", level=1)).to_have_text("Riley's circle")
    page.get_by_role("banner").get_by_role("button", name="I need help now").click()
    expect(page).to_have_url(re.compile(r"/help-now/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Get help now")
    expect(page.get_by_role("region", name="Help is available right now")).to_be_visible()
    expect(page.get_by_role("link", name=re.compile(r"^Call ")).first).to_be_visible()

    # The second tap asks her ladder, with a few words of her own.
    sos = page.get_by_role("region", name="Ask the people on your crisis ladder")
    sos.get_by_label("A message for the people you ask (optional)").fill(MESSAGE)
    sos.get_by_role("button", name="Yes, ask them now").click()
    expect(page).to_have_url(re.compile(r"/alerts/\d+/$"))
    alert = Alert.objects.get(member=riley_asks_sam)
    assert urlsplit(page.url).path == f"/alerts/{alert.pk}/"
    expect(page.get_by_role("heading", level=1)).to_have_text("You asked for support")
    expect(page.get_by_text(f"Your message: “{MESSAGE}”")).to_be_visible()
    expect(status_line(page)).to_contain_text("Asking Sam by email and in Circles now.")
    expect(status_line(page)).to_contain_text("Nobody has answered yet.")
    expect(sam_row(page)).to_contain_text("Not yet")
    expect(page.get_by_role("button", name="Call it off")).to_be_visible()
    # Marks that survive only if the page is not reloaded and the live region is changed in place (a
    # replaced live region is often not announced by screen readers).
    page.evaluate("window.stillTheSamePage = true")
    page.evaluate("document.querySelector('#alert-status [role=status]').keptInPlace = true")

    # The worker sends the email; it carries the one-tap link and nothing Riley wrote.
    assert mailoutbox == []
    assert work_due("browser-test").sent == 1
    assert [mail.to for mail in mailoutbox] == [["sam@example.org"]]
    email = mailoutbox[0]
    assert email.subject == "Riley could use support now"
    assert MESSAGE not in email.body
    links = re.findall(r"https?://\S+/alerts/answer/[^/\s]+/", email.body)
    assert len(links) == 1
    assert links[0].startswith(f"{live_server.url}/alerts/answer/")

    # Sam opens it in another browser, not signed in, and answers.
    sam_page = new_page()
    sam_page.goto(links[0])
    expect(sam_page.get_by_role("heading", level=1)).to_have_text("Riley could use support now")
    expect(sam_page.locator("main")).not_to_contain_text(MESSAGE)
    sam_page.get_by_role("button", name="I'm reaching out").click()
    expect(sam_page.get_by_role("heading", level=1)).to_have_text("Thank you")
    expect(sam_page.get_by_role("status")).to_contain_text("Riley can now see that you are reaching out.")

    # Riley's page, never reloaded, shows it within a few polls of alert-status.js.
    expect(status_line(page)).to_contain_text("Sam is reaching out to you.", timeout=10_000)
    expect(sam_row(page)).to_contain_text("Yes, reaching out")
    assert page.evaluate("window.stillTheSamePage") is True
    assert page.evaluate("document.querySelector('#alert-status [role=status]').keptInPlace") is True
    alert.refresh_from_db()
    assert alert.status == AlertStatus.ANSWERED

    # Without JavaScript, loading the page again shows the same.
    no_script = new_page(java_script_enabled=False)
    log_in(no_script, "riley@example.org")
    no_script.goto(f"/alerts/{alert.pk}/")
    expect(status_line(no_script)).to_contain_text("Sam is reaching out to you.")
    expect(sam_row(no_script)).to_contain_text("Yes, reaching out")
    expect(no_script.get_by_role("button", name="I'm OK now: close this alert")).to_be_visible()

    assert offsite_requests == []


def test_a_supporter_answers_from_the_app(page, riley_asks_sam, offsite_requests):
    riley = riley_asks_sam
    make_checkin(riley, mood=2, craving=9, stress=9, struggling=STRUGGLE, helped="a long walk")
    alert, _ = do_raise_sos(riley, message=MESSAGE, acting_user=riley)

    log_in(page, "sam@example.org")
    open_menu(page).get_by_role("link", name="People I support").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("People you support")
    asking = page.get_by_role("region", name="Asking for your support")
    asking.get_by_role("link", name="Riley could use support now").click()

    expect(page).to_have_url(re.compile(rf"/alerts/asked/{alert.pk}/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Riley could use support now")
    main = page.locator("main")
    expect(main).to_contain_text(f"Riley wrote: “{MESSAGE}”")
    # Sam may be asked for support, nothing more: no reason, no check-in, no figures.
    for hidden in ["Why:", STRUGGLE, "a long walk", "Mood", "Craving", "Stress"]:
        expect(main).not_to_contain_text(hidden)
    answers = page.get_by_role("region", name="Who is reaching out")
    expect(answers).to_contain_text("Nobody has answered yet.")

    answers.get_by_role("button", name="I'm reaching out").click()
    expect(page.locator(".messages")).to_contain_text("Thank you. Riley can see you are reaching out.")
    expect(answers.get_by_role("listitem")).to_contain_text("You")  # Sam's own answer
    expect(answers.get_by_role("button", name="I'm reaching out")).to_have_count(0)
    alert.refresh_from_db()
    assert alert.status == AlertStatus.ANSWERED
    assert alert.answer_names == ["Sam"]

    page.goto("/supporting/")
    expect(page.get_by_role("region", name="Asking for your support")).to_contain_text("answered by you")

    assert offsite_requests == []
