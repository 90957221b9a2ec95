"""Professional care end to end, on a phone, through the pages only: Olivia invites Casey to Harbor
Recovery Center; Casey joins, enrols a new person who signs up and consents; the person's safety answer on
the PHQ-9 puts them first on Casey's caseload; Casey acknowledges it with a follow-up note and messages
them; the person is told without the words and reads the message in their thread.

Only the people who were already there are made in the database (Olivia with her organization, Casey's
account, Riley enrolled earlier); every step a person takes is a click or a keystroke in the browser.
"""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from circles.accounts.outbox import send_pending_account_emails
from circles.care.models import StaffMembership
from circles.care.tests.factories import enrol, make_organization
from circles.demo.twofactor import current_code, ensure_demo_twofactor
from circles.tests_browser.conftest import PHONE
from circles.tests_browser.page_states import PASSWORD, enter_code, log_in, open_menu
from conftest import make_persona

pytestmark = pytest.mark.browser

NEW_PERSON = {"name": "Jordan Lee", "email": "jordan@example.org", "password": "tide-pool-morning-31"}


def open_as_someone_else(browser, live_server):
    """A second person's own browser (a phone in Madrid), so each keeps their own session."""
    context = browser.new_context(
        base_url=live_server.url, viewport=PHONE, locale="en-US", timezone_id="Europe/Madrid"
    )
    context.set_default_timeout(10_000)
    return context, context.new_page()


def link_in(message) -> str:
    """The path of the only link of this site in an email's text."""
    found = re.search(r"https?://[^/\s]+(/\S*)", message.body)
    assert found, message.body
    return found.group(1)


def mail_to(address: str, subject_part: str):
    sent = [m for m in mail.outbox if address in m.to and subject_part.lower() in m.subject.lower()]
    assert sent, [(m.to, m.subject) for m in mail.outbox]
    return sent[-1]


@pytest.fixture
def harbor(transactional_db):
    """Harbor Recovery Center with Olivia as its administrator, Riley enrolled before Casey arrives, and
    Casey's account (a counselor elsewhere before, so she already signs in with a second step)."""
    olivia, casey, riley = make_persona("olivia"), make_persona("casey"), make_persona("riley")
    for person in (olivia, casey):
        ensure_demo_twofactor(person)
    place = make_organization(olivia)
    return {"olivia": olivia, "casey": casey, "riley": riley, "harbor": place}


def test_olivia_invites_casey_who_enrols_a_person_whose_safety_answer_comes_first(
    harbor, browser, live_server, page
):
    olivia, casey, riley = harbor["olivia"], harbor["casey"], harbor["riley"]
    organization = harbor["harbor"].organization

    # 1. Olivia invites Casey as a counselor from her organization's page.
    log_in(page, olivia.email, PASSWORD)
    enter_code(page, current_code(olivia))
    page.goto(f"/care/organizations/{organization.pk}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Harbor Recovery Center")
    page.get_by_label("Email address").fill(casey.email)
    page.get_by_label("Role").select_option(label="Counselor")
    page.get_by_role("button", name="Send the invitation").click()
    expect(page.locator(".messages")).to_contain_text(casey.email)
    staff_link = link_in(mail_to(casey.email, "Harbor Recovery Center"))

    # Casey opens the emailed link, signs in with her second step, and joins.
    casey_context, casey_page = open_as_someone_else(browser, live_server)
    casey_page.goto(staff_link)
    expect(casey_page.get_by_role("heading", level=1)).to_have_text(
        "Harbor Recovery Center invited you to join its staff"
    )
    casey_page.get_by_role("link", name="I already have an account").click()
    casey_page.get_by_label("Email address").fill(casey.email)
    casey_page.get_by_label("Password:", exact=True).fill(PASSWORD)
    casey_page.get_by_role("button", name="Log in").click()
    enter_code(casey_page, current_code(casey))
    casey_page.get_by_role("button", name="Join as Counselor").click()
    expect(casey_page.get_by_role("heading", level=1)).to_have_text("Harbor Recovery Center")
    expect(casey_page.get_by_text("You work here as Counselor.")).to_be_visible()
    counselor = StaffMembership.objects.get(organization=organization, user=casey)
    # Riley, enrolled with Casey as primary, needs less: she is on the caseload too.
    enrol(riley, harbor["harbor"], primary=counselor)

    # 2. Casey invites a new person to enrol, by email.
    casey_page.get_by_role("link", name="Invite someone to enrol").click()
    casey_page.get_by_label("Email address").fill(NEW_PERSON["email"])
    casey_page.get_by_role("button", name="Create the invitation").click()
    expect(casey_page.get_by_role("heading", name="Your enrolment code")).to_be_visible()
    expect(casey_page.get_by_text(f"A link was emailed to {NEW_PERSON['email']}.")).to_be_visible()
    join_link = link_in(mail_to(NEW_PERSON["email"], "Harbor Recovery Center"))

    # The person opens the link, makes an account, confirms the address and comes back to sign.
    jordan_context, jordan = open_as_someone_else(browser, live_server)
    jordan.goto(join_link)
    expect(jordan.get_by_role("heading", level=1)).to_have_text(
        "Harbor Recovery Center invites you to Circles"
    )
    jordan.get_by_role("link", name="Create an account").click()
    jordan.get_by_label("Name you go by").fill(NEW_PERSON["name"])
    expect(jordan.get_by_label("Email address")).to_have_value(NEW_PERSON["email"])
    jordan.get_by_label("Password:", exact=True).fill(NEW_PERSON["password"])
    jordan.get_by_label("Password again").fill(NEW_PERSON["password"])
    jordan.get_by_role("button", name="Create account").click()
    expect(jordan.get_by_role("heading", level=1)).to_have_text("Check your email")
    assert send_pending_account_emails() == 1  # the worker's part: it sends the confirmation link
    jordan.goto(link_in(mail_to(NEW_PERSON["email"], "Confirm your email address")))
    jordan.get_by_label("Password").fill(NEW_PERSON["password"])
    jordan.get_by_role("button", name="Confirm and sign in").click()

    expect(jordan.get_by_role("heading", level=1)).to_have_text("Join Harbor Recovery Center")
    expect(jordan.get_by_text("Treatment and care coordination")).to_be_visible()
    for scope in (
        "Ask my care team for support when I could use it (my crisis ladder)",
        "Depression questionnaires (PHQ-9, PHQ-2)",
        "Safety screening (C-SSRS screener)",
    ):
        jordan.get_by_label(scope).check()
    jordan.get_by_label("Type your full name to sign").fill(NEW_PERSON["name"])
    jordan.get_by_role("button", name="Sign and join").click()
    expect(jordan.get_by_role("heading", level=1)).to_have_text("My care")
    expect(jordan.get_by_role("region", name="Harbor Recovery Center")).to_contain_text("Casey")

    # 3. A PHQ-9 with an answer on the self-harm item: the crisis resources are shown at once.
    jordan.goto("/checkins/questionnaires/")
    jordan.get_by_role("button", name="Start PHQ-9").click()

    def answer(number, words):
        group = jordan.get_by_role("group", name=re.compile(rf"^{number}\. "))
        group.get_by_label(words, exact=True).check()

    for number in range(1, 9):
        answer(number, "Some days")
    answer(9, "Some days")
    jordan.get_by_role("button", name="Submit", exact=True).click()
    expect(jordan.get_by_role("region", name="Help is available right now")).to_be_visible()

    # 4. Casey's caseload: the person first, with the reason in plain words; Riley below.
    casey_page.goto("/care/")
    expect(casey_page.get_by_role("heading", level=1)).to_have_text("Caseload")
    rows = casey_page.locator("table.caseload tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0).get_by_role("rowheader")).to_contain_text(NEW_PERSON["name"])
    expect(rows.nth(0)).to_contain_text(re.compile(r"Safety answer on .+, not yet followed up"))
    expect(rows.nth(1).get_by_role("rowheader")).to_contain_text("Riley")
    expect(rows.nth(1)).not_to_contain_text("Safety answer")

    # 5. The alert inbox: Casey acknowledges the signal with a follow-up note.
    open_menu(casey_page).get_by_role("link", name="Alerts", exact=True).click()
    expect(casey_page.get_by_role("heading", level=1)).to_have_text("Alerts for the care team")
    casey_page.get_by_role("link", name=re.compile(rf"^Acknowledge — {NEW_PERSON['name']}")).click()
    expect(casey_page.get_by_role("heading", level=1)).to_have_text(f"Follow up with {NEW_PERSON['name']}")
    casey_page.get_by_label("Note").fill("Called Jordan; we went over the safety plan and met the next day.")
    casey_page.get_by_role("button", name="Acknowledge").click()
    expect(casey_page.get_by_text("No open safety signals.")).to_be_visible()
    expect(casey_page.get_by_role("region", name="Acknowledged in the last two weeks")).to_contain_text(
        NEW_PERSON["name"]
    )
    casey_page.goto("/care/")
    rows = casey_page.locator("table.caseload tbody tr")
    expect(rows).to_have_count(2)
    expect(casey_page.locator("table.caseload")).not_to_contain_text("not yet followed up")

    # 6. Casey messages the person from the member's record; the person is told without the words.
    casey_page.get_by_role("link", name=NEW_PERSON["name"]).click()
    casey_page.get_by_role("main").get_by_role("link", name="Messages", exact=True).click()
    expect(casey_page.get_by_role("heading", level=1)).to_have_text(f"Messages with {NEW_PERSON['name']}")
    words = "Thank you for answering honestly. Shall we meet on Thursday at 10?"
    casey_page.get_by_label("Your message").fill(words)
    casey_page.get_by_role("button", name="Send").click()
    expect(casey_page.locator(".message-thread")).to_contain_text(words)

    notice = mail_to(NEW_PERSON["email"], "You have a new message from your care team")
    assert "Thursday" not in notice.subject + notice.body
    jordan.goto(link_in(notice))
    expect(jordan.get_by_role("heading", level=1)).to_have_text(
        "Messages with your care team at Harbor Recovery Center"
    )
    expect(jordan.locator(".message-thread")).to_contain_text(words)
    expect(jordan.locator(".message-thread")).to_contain_text("Casey")

    jordan_context.close()
    casey_context.close()
