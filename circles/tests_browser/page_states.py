"""Every page state of Circles, walked in a browser: the list the page-wide browser checks share.

A tour signs in as someone (or no one), brings pages into each state a person can reach (with data, empty,
a form with errors, an alert raised, answered and closed…) and calls `seen.visit(path, label)` or, for a
state reached by clicking, `seen.check(label)`. What is checked is the caller's: test_accessibility runs
axe at each state, test_overflow measures whether the page scrolls sideways. Add a page or a state here
and every check sees it.
"""

import datetime as dt
import json
import re
from collections.abc import Callable
from typing import NamedTuple

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.http import Http404
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from playwright.sync_api import expect

from circles.accounts.actions import do_sign_up
from circles.accounts.models import User
from circles.alerts.actions import do_answer, do_close_alert, do_raise_sos
from circles.alerts.channels import answer_token
from circles.alerts.delivery import work_due
from circles.alerts.logic import EMAIL
from circles.alerts.models import AlertStatus
from circles.alerts.tests.factories import askable, ladder
from circles.care.models import Enrolment
from circles.checkins import logic
from circles.checkins.actions import do_save_answers, do_save_checkin, do_start_assessment
from circles.checkins.definitions import BUILTIN_DIR
from circles.checkins.models import Assessment, CheckIn
from circles.demo.personas import PERSONAS
from circles.demo.twofactor import DEMO_TOTP_SECRETS, current_code
from circles.lib.time import local_today, user_zone
from circles.network.tests.factories import make_tie
from circles.sharing import logic as sharing_logic
from circles.sharing.access import access_disclosure, access_shared_data, access_supported_members
from circles.sharing.actions import (
    do_cancel_invitation,
    do_grant_consent,
    do_invite_supporter,
    do_revoke_consent,
)

PASSWORD = "a-long-test-passphrase-42"


def open_menu(page):
    """The header's main navigation, with its menu (a <details>) opened if it was closed: on a phone
    every page is in the menu, and "Log out" is at its end."""
    menu = page.get_by_role("banner").locator("details.menu")
    if menu.get_attribute("open") is None:
        menu.locator("summary").click()
    return page.get_by_role("navigation", name="Main")


# (instrument, every so many weeks): filled in over eight weeks when the demo gives Riley none.
PAST_QUESTIONNAIRES = [("phq9", 1), ("gad7", 1), ("who5", 2), ("barc10", 4), ("mspss", 4), ("bam", 4)]


def _evening_of(member, day):
    return dt.datetime.combine(day, dt.time(20, 0), tzinfo=user_zone(member))


def _plain_answers(code, level):
    """Answers for an instrument without skip logic: each question's `level`-th lowest option."""
    answers = {}
    for item in logic.INSTRUMENTS[code].structure.items:
        assert item.kind == "choice" and not item.enable_when, f"{code} needs hand-written answers"
        values = sorted(item.values)
        answers[item.link_id] = values[min(level, len(values) - 1)]
    if code == logic.SAFETY_ITEM[0]:
        answers[logic.SAFETY_ITEM[1]] = 0
    return answers


def ensure_checkin_history(member):
    """Eight weeks of check-ins and several questionnaires, filled in on their own days.

    Adds them only when the demo does not already give the member any, so the sweep sees data either way.
    """
    today = local_today(member)
    if not CheckIn.objects.filter(member=member).exists():
        for back in range(56, 0, -1):
            if back % 9 == 2:
                continue  # a few missed days; the day before yesterday can still be filled in late
            day = today - dt.timedelta(days=back)
            used = back == 19
            checkin = CheckIn(
                member=member,
                day=day,
                mood=(back * 3) % 11,
                craving=(back * 7) % 11,
                stress=(back * 5) % 11,
                sleep_quality=1 + back % 5,
                used=used,
                substance="alcohol" if used else "",
                use_note="A hard evening after the funeral." if used else "",
                helped="Called Sam." if back % 4 == 0 else "",
                struggling="Sleep, and the evenings." if back % 6 == 0 else "",
            )
            with time_machine.travel(_evening_of(member, day), tick=False):
                do_save_checkin(checkin, [], acting_user=member)
    if not Assessment.objects.completed().filter(member=member).exists():
        for weeks in range(8, 0, -1):
            for code, every in PAST_QUESTIONNAIRES:
                if weeks % every == 0:
                    with time_machine.travel(
                        _evening_of(member, today - dt.timedelta(weeks=weeks)), tick=False
                    ):
                        assessment = do_start_assessment(member, code, language="en")
                        do_save_answers(
                            assessment, _plain_answers(code, weeks % 4), complete=True, acting_user=member
                        )


def log_in(page, email, password):
    page.goto("/accounts/login/")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password:", exact=True).fill(password)
    page.get_by_role("button", name="Log in").click()


def enter_code(page, code):
    """The second step of signing in, for an account with two-factor sign-in."""
    expect(page.get_by_role("heading", level=1)).to_have_text("Enter your code")
    page.get_by_label("Code").fill(code)
    page.get_by_role("button", name="Continue").click()


def submit_empty(page, button="Save"):
    page.get_by_role("button", name=button, exact=True).click()
    expect(page.locator(".form-summary")).to_be_visible()


def anonymous_pages(page, seen, demo_riley):
    for path in ["/", "/help-now/", "/accounts/login/", "/accounts/signup/", "/accounts/password-reset/"]:
        seen.visit(path)

    page.get_by_label("Email:", exact=True).fill("riley@example.org")
    page.get_by_role("button", name="Send the link").click()
    expect(page).to_have_url(re.compile(r"/accounts/password-reset/sent/$"))
    seen.check("password reset sent")

    uid = urlsafe_base64_encode(force_bytes(demo_riley.pk))
    token = default_token_generator.make_token(demo_riley)
    seen.visit(f"/accounts/password-reset/{uid}/{token}/")
    expect(page.get_by_role("button", name="Save new password")).to_be_visible()
    submit_empty(page, "Save new password")
    seen.check("password reset confirm, with errors")
    seen.visit("/accounts/password-reset/not-a/valid-link/")
    seen.visit("/accounts/password-reset/complete/")

    page.goto("/accounts/signup/")
    submit_empty(page, "Create account")
    seen.check("sign-up, with errors")

    for _attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        log_in(page, "riley@example.org", "not-the-password")
        expect(page.get_by_role("alert").first).to_contain_text("do not match an account")
    seen.check("login, with errors")
    log_in(page, "riley@example.org", "not-the-password")
    expect(page.get_by_role("heading", level=1)).to_have_text("Too many attempts to log in")
    seen.check("locked out")


def member_pages(page, seen, demo_riley):
    log_in(page, "riley@example.org", PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_have_text("Riley's circle")
    tie = demo_riley.ties.get(display_name="Chris")
    contact = demo_riley.interactions.first()
    commitment = demo_riley.commitments.first()

    for path in [
        "/network/",
        "/network/ties/",
        f"/network/ties/{tie.pk}/",
        f"/network/ties/{tie.pk}/edit/",
        f"/network/ties/{tie.pk}/delete/",
        "/network/contacts/",
        f"/network/contacts/{contact.pk}/edit/",
        f"/network/contacts/{contact.pk}/delete/",
        "/network/commitments/",
        f"/network/commitments/{commitment.pk}/edit/",
        f"/network/commitments/{commitment.pk}/delete/",
        "/accounts/settings/",
    ]:
        seen.visit(path)

    for path in ["/network/ties/new/", "/network/contacts/new/", "/network/commitments/new/"]:
        seen.visit(path)
        submit_empty(page)
        seen.check(f"{path}, with errors")

    seen.visit("/accounts/settings/tokens/")
    page.get_by_label("What is this token for?").fill("my phone app")
    page.get_by_role("button", name="Create token").click()
    expect(page.locator("#new-token")).to_be_visible()
    seen.check("/accounts/settings/tokens/, new token shown")
    page.get_by_role("button", name="Revoke my phone app").click()
    expect(page.locator(".messages")).to_contain_text("no longer works")
    seen.check("/accounts/settings/tokens/, token revoked")


def pages_of_an_empty_circle(page, seen, _db):
    do_sign_up(email="jo@example.org", password=PASSWORD, display_name="Jo", timezone_name="Europe/Madrid")
    log_in(page, "jo@example.org", PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_have_text("Jo's circle")
    for path in [
        "/network/",
        "/network/ties/",
        "/network/contacts/",
        "/network/contacts/new/",
        "/network/commitments/",
        "/network/commitments/new/",
        "/accounts/settings/tokens/",
        "/checkins/history/",
        "/checkins/questionnaires/",
        "/checkins/progress/",
        "/checkins/settings/",
    ]:
        seen.visit(path)

    page.get_by_label("Count my time in recovery").check()
    submit_empty(page)
    seen.check("/checkins/settings/, with errors")

    seen.visit("/checkins/")
    expect(page.get_by_role("heading", name="Due today")).to_be_visible()
    submit_empty(page, "Save check-in")
    seen.check("/checkins/, with errors")


def checkin_pages_with_eight_weeks_of_history(page, seen, demo_riley):
    ensure_checkin_history(demo_riley)
    log_in(page, "riley@example.org", PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_have_text("Riley's circle")
    today = local_today(demo_riley)

    for path in [
        "/checkins/",
        f"/checkins/day/{today - dt.timedelta(days=1)}/",
        f"/checkins/day/{today - dt.timedelta(days=2)}/",
        "/checkins/history/",
        "/checkins/history/?page=2",
        "/checkins/questionnaires/",
        "/checkins/progress/?days=30",
        "/checkins/progress/?days=90",
        "/checkins/progress/?days=365",
        "/help-now/",
    ]:
        seen.visit(path)
    newest = {}
    for result in Assessment.objects.completed().filter(member=demo_riley).order_by("completed_at"):
        newest[result.instrument] = result
    for instrument, result in sorted(newest.items()):
        seen.visit(f"/checkins/answers/{result.pk}/result/", f"{instrument} result")

    page.goto(f"/checkins/day/{today - dt.timedelta(days=30)}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Check-in for")
    seen.check("a check-in day too long ago")

    seen.visit("/checkins/settings/")
    page.get_by_label("Count my time in recovery").check()
    page.get_by_label("My recovery date").fill((today - dt.timedelta(days=100)).isoformat())
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_role("heading", name="Time in recovery")).to_be_visible()
    seen.check("/checkins/history/, counting days")

    page.get_by_role("button", name="I need help now").click()
    expect(page.get_by_role("status")).to_contain_text("Help is here.")
    seen.check("/help-now/, pressed")


def questionnaire_pages_through_the_safety_questions(page, seen, _db):
    do_sign_up(email="jo@example.org", password=PASSWORD, display_name="Jo", timezone_name="Europe/Madrid")
    log_in(page, "jo@example.org", PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_have_text("Jo's circle")

    def answer(number, words):
        group = page.get_by_role("group", name=re.compile(rf"^{number}\. "))
        group.get_by_label(words, exact=True).check()

    seen.visit("/checkins/questionnaires/")
    page.get_by_role("button", name="Start PHQ-9").click()
    seen.check("PHQ-9, empty")
    submit_empty(page, "Submit")
    seen.check("PHQ-9, with errors")
    answer(9, "Some days")
    page.get_by_role("button", name="Save and finish later").click()
    expect(page.get_by_role("region", name="Help is available right now")).to_be_visible()
    seen.check("PHQ-9 saved part-way, with the crisis panel and the offer")

    for number in range(1, 9):
        answer(number, "No days")
    page.get_by_role("button", name="Submit", exact=True).click()
    expect(page.get_by_role("heading", name="A few more questions about your safety")).to_be_visible()
    seen.check("PHQ-9 result, with the crisis panel and the offer")

    page.get_by_role("button", name="Answer the safety questions").click()
    seen.check("C-SSRS, empty")
    submit_empty(page, "Submit")
    seen.check("C-SSRS, with errors")
    answer(1, "Yes")
    answer(2, "Yes")
    page.get_by_role("button", name="Submit", exact=True).click()
    expect(page.locator(".messages")).to_contain_text("A few more questions follow")
    seen.check("C-SSRS, with the questions skip logic revealed")
    for number in range(3, 7):
        answer(number, "No")
    page.get_by_role("button", name="Submit", exact=True).click()
    expect(page.get_by_role("region", name="Help is available right now")).to_be_visible()
    seen.check("C-SSRS result, with the crisis panel")

    page.get_by_role("link", name="Back to questionnaires").click()
    page.get_by_role("link", name="PHQ-9", exact=True).click()
    expect(page.get_by_role("link", name="Your safety questions")).to_be_visible()
    seen.check("PHQ-9 result, safety questions answered")
    seen.visit("/checkins/questionnaires/")
    seen.visit("/checkins/progress/?days=30")


def questionnaire_import_as_a_deployment_admin(page, seen, demo_operator):
    log_in(page, "olivia@example.org", PASSWORD)
    enter_code(page, current_code(User.objects.get(email="olivia@example.org")))
    expect(page.get_by_role("heading", level=1)).to_have_text("Your organizations")
    refused = page.goto("/checkins/questionnaires/import/")
    assert refused is not None and refused.status == 403
    seen.check("import, refused to an organization administrator")
    page.context.clear_cookies()

    log_in(page, "operator@example.org", PASSWORD)
    enter_code(page, current_code(demo_operator))
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    seen.visit("/checkins/questionnaires/import/")
    submit_empty(page, "Import")
    seen.check("import, with errors")

    wording = json.loads((BUILTIN_DIR / "who5.json").read_text())
    wording.update(version="2024-translated", title="WHO-5, clinic wording")
    page.get_by_label("Instrument").select_option("who5")
    page.get_by_label("FHIR Questionnaire (JSON file)").set_input_files(
        files=[{"name": "who5.json", "mimeType": "application/json", "buffer": json.dumps(wording).encode()}]
    )
    page.get_by_role("button", name="Import", exact=True).click()
    expect(page.locator(".messages")).to_contain_text("Imported WHO-5, clinic wording")
    seen.check("import, with an imported wording")


def two_factor_pages(page, seen, demo_riley):
    """Setting it up (Riley), then the code page with a wrong code and a right one (Olivia)."""
    log_in(page, "riley@example.org", PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_have_text("Riley's circle")
    seen.visit("/accounts/settings/two-factor/")
    expect(page.get_by_role("img", name=re.compile("QR code"))).to_be_visible()
    page.get_by_role("button", name="Turn on two-factor sign-in").click()
    seen.check("two-factor set-up, with errors")
    open_menu(page).get_by_role("button", name="Log out").click()

    olivia = User.objects.get(email="olivia@example.org")
    log_in(page, olivia.email, PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_have_text("Enter your code")
    seen.check("the code page")
    page.get_by_label("Code").fill("000000")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("alert").first).to_be_visible()
    seen.check("the code page, with a wrong code")
    with time_machine.travel(timezone.now() + dt.timedelta(seconds=35), tick=True):
        enter_code(page, current_code(olivia))
        expect(page.get_by_role("heading", level=1)).to_have_text("Your organizations")
        seen.visit("/accounts/settings/two-factor/")


def sam_reads_riley(riley):
    """Sam reads what Riley shares and Mallory is refused, so Riley's access history has rows of each kind."""
    sam, mallory = User.objects.get(email="sam@example.org"), User.objects.get(email="mallory@example.org")
    access_shared_data(sam, access_supported_members(sam))
    with pytest.raises(Http404):
        access_disclosure(mallory, riley.pk)


def invite(member, tie_name, email):
    tie = member.ties.get(display_name=tie_name)
    return do_invite_supporter(tie, email, origin="http://testserver/", acting_user=member)


def sharing_pages_of_a_member(page, seen, demo_riley):
    sam_reads_riley(demo_riley)
    invite(demo_riley, "Mum", "mum@example.org")
    sam_tie, mum_tie = (demo_riley.ties.get(display_name=name) for name in ("Sam", "Mum"))
    consent = demo_riley.consents.get(tie=sam_tie)
    log_in(page, "riley@example.org", PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_have_text("Riley's circle")

    for path in [
        "/sharing/",
        f"/sharing/ties/{sam_tie.pk}/",
        f"/sharing/ties/{mum_tie.pk}/",
        "/sharing/consents/",
        f"/sharing/consents/{consent.pk}/",
        "/sharing/access/",
        "/sharing/reach/",
    ]:
        seen.visit(path)

    page.goto(f"/sharing/consents/{consent.pk}/")
    page.emulate_media(media="print")
    heading = f"Consent to {consent.recipient_name}, signed"
    expect(page.get_by_role("heading", level=1)).to_contain_text(heading)
    expect(page.locator(".site-header")).to_be_hidden()
    expect(page.locator(".site-footer")).to_be_hidden()
    expect(page.locator(".no-print")).to_be_hidden()
    expect(page.locator(".statement")).to_be_visible()
    seen.check(f"/sharing/consents/{consent.pk}/, printed")
    page.emulate_media(media="screen")

    seen.visit("/sharing/reach/")
    page.get_by_label("Your phone number").fill("call me")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Use digits, spaces and + - ( ) only.")).to_be_visible()
    seen.check("/sharing/reach/, with errors")

    seen.visit(f"/sharing/ties/{sam_tie.pk}/")
    page.get_by_label("Type your full name to sign").fill("")
    submit_empty(page, "Sign and save")
    seen.check("consent form, with errors")
    page.goto(f"/sharing/ties/{mum_tie.pk}/")
    page.get_by_label("Their email address").fill("not an address")
    submit_empty(page, "Send invitation")
    seen.check("invitation form, with errors")

    seen.visit(f"/sharing/ties/{sam_tie.pk}/")
    page.get_by_label("Returns to use").check()
    page.get_by_label("Type your full name to sign").fill("Riley Demo")
    page.get_by_role("button", name="Sign and save").click()
    expect(page.locator(".messages")).to_contain_text("Saved. Sam sees what you chose from now on.")
    seen.check("consent changed")
    page.get_by_role("button", name="Stop sharing everything").click()
    expect(page.locator(".messages")).to_contain_text("You no longer share anything with Sam.")
    seen.check("consent revoked")
    seen.visit("/sharing/consents/")


def supporter_pages(page, seen, demo_riley):
    tie = demo_riley.ties.get(display_name="Sam")
    # Everything Riley could share, the network map included, so that every section is drawn.
    do_grant_consent(
        tie,
        scopes=list(sharing_logic.SCOPE_CODES),
        purpose="So Sam can support my recovery.",
        expires_on=None,
        signature_name="Riley Demo",
        acting_user=demo_riley,
    )
    mallory = User.objects.get(email="mallory@example.org")
    from_mallory = invite(mallory, "Robin", "sam@example.org")
    log_in(page, "sam@example.org", PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_have_text("People you support")

    seen.visit("/supporting/")
    seen.visit(f"/supporting/{demo_riley.pk}/")
    expect(page.locator("svg.network-map")).to_be_visible()
    submit_empty(page, "Send")
    seen.check("encouragement, with errors")
    page.get_by_label("Send a few words of encouragement").fill("Proud of you.")
    page.get_by_role("button", name="Send", exact=True).click()
    expect(page.locator(".messages")).to_contain_text("Sent. Riley will see it in their contact log.")
    seen.check("encouragement sent")
    seen.visit("/supporting/notice/")

    # Each kind of guidance, by the relationship Riley recorded for Sam.
    for relationship, heading in [
        ("parent", "as family"),
        ("friend", "as a friend"),
        ("peer", "as a peer"),
    ]:
        type(tie).objects.filter(pk=tie.pk).update(relationship=relationship)
        seen.visit(f"/supporting/{demo_riley.pk}/", f"guidance for a {relationship}")
        expect(page.get_by_role("heading", name=re.compile(heading))).to_be_visible()

    seen.visit(f"/invitation/{from_mallory.token}/", "an invitation, signed in")
    expect(page.get_by_role("button", name="Accept as Sam")).to_be_visible()

    do_revoke_consent(tie, acting_user=demo_riley)
    seen.visit("/supporting/", "/supporting/, nothing shared")
    seen.visit(f"/supporting/{demo_riley.pk}/", f"/supporting/{demo_riley.pk}/, nothing shared")
    expect(page.get_by_text("Riley is not sharing anything with you right now.")).to_be_visible()


def invitation_pages_signed_out(page, seen, demo_riley):
    invitation = invite(demo_riley, "Mum", "mum@example.org")
    seen.visit(f"/invitation/{invitation.token}/", "an invitation, signed out")
    expect(page.get_by_role("link", name="I already have an account")).to_be_visible()

    for path, label in [
        ("/invitation/garbage/", "a tampered invitation link"),
        (f"/invitation/{invitation.token[:-3]}/", "a cut-off invitation link"),
    ]:
        response = page.goto(path)
        assert response is not None and response.status == 400
        expect(page.get_by_role("heading", level=1)).to_have_text("This invitation link cannot be used")
        seen.check(label)

    do_cancel_invitation(invitation, acting_user=demo_riley)
    response = page.goto(f"/invitation/{invitation.token}/")
    assert response is not None and response.status == 410
    expect(page.locator(".lead")).to_contain_text("Riley cancelled this invitation.")
    seen.check("a cancelled invitation")


def alert_pages_of_a_member(page, seen, riley, sam):
    sam_tie = askable(riley, sam)  # in Riley's inner circle, so the ladder page suggests Sam
    make_tie(riley, "Mum", "parent")  # not linked to an account: cannot be asked yet
    log_in(page, "riley@example.org", PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_have_text("Riley's circle")

    seen.visit("/alerts/", "/alerts/, no ladder and no alerts")
    seen.visit("/alerts/ladder/", "/alerts/ladder/, no ladder, with a suggestion")
    expect(page.get_by_role("button", name="Use this ladder")).to_be_visible()
    submit_empty(page, "Add to the ladder")
    seen.check("/alerts/ladder/, add form with errors")
    seen.visit("/alerts/rules/")
    page.locator("input[name=craving_level]").fill("99")
    submit_empty(page, "Save rules")
    seen.check("/alerts/rules/, with errors")
    seen.visit("/alerts/sos/", "/alerts/sos/, no ladder")
    seen.visit("/help-now/")
    page.get_by_role("main").get_by_role("button", name="I need help now").click()
    expect(page.get_by_role("region", name="Ask the people on your crisis ladder")).to_contain_text(
        "You have nobody on your crisis ladder yet"
    )
    seen.check("/help-now/, pressed, no ladder")

    page.goto("/alerts/ladder/")
    page.get_by_role("button", name="Use this ladder").click()
    expect(page.locator(".messages")).to_contain_text("Your ladder is saved.")
    seen.check("/alerts/ladder/, the suggested ladder")
    page.get_by_label("Person").select_option(label="Mum")
    page.get_by_label("Step", exact=True).select_option(label="A new step 2")
    page.get_by_label("Quiet hours from (optional)").fill("22:00")
    page.get_by_label("until", exact=True).fill("07:00")
    page.get_by_role("button", name="Add to the ladder").click()
    expect(page.locator(".messages")).to_contain_text("Mum is on your ladder.")
    expect(page.get_by_role("region", name="Step 2")).to_contain_text("cannot be asked yet")
    seen.check("/alerts/ladder/, two steps, one person cannot be asked yet")
    seen.visit("/alerts/", "/alerts/, with a ladder")
    seen.visit("/alerts/sos/", "/alerts/sos/, with a ladder")

    page.get_by_role("banner").get_by_role("button", name="I need help now").click()
    sos = page.get_by_role("region", name="Ask the people on your crisis ladder")
    expect(sos.get_by_role("button", name="Yes, ask them now")).to_be_visible()
    seen.check("/help-now/, pressed, with the SOS form")
    sos.get_by_label("A message for the people you ask (optional)").fill("Rough night.")
    sos.get_by_role("button", name="Yes, ask them now").click()
    expect(page.locator("#alert-status").get_by_role("status")).to_contain_text("Nobody has answered yet.")
    alert = riley.alerts.get()
    seen.check("/alerts/<id>/, active")
    seen.visit("/alerts/", "/alerts/, an open alert")
    page.get_by_role("banner").get_by_role("button", name="I need help now").click()
    already = page.get_by_role("region", name="You have already asked your ladder")
    expect(already.get_by_role("status")).to_contain_text("Nobody has answered yet.")
    expect(already.get_by_role("link", name="See who has been asked and who has answered")).to_be_visible()
    seen.check("/help-now/, pressed, an SOS already open")

    do_answer(alert, sam_tie, acting_user=sam)
    seen.visit(f"/alerts/{alert.pk}/", "/alerts/<id>/, answered")
    expect(page.locator("#alert-status").get_by_role("status")).to_contain_text("Sam is reaching out")
    page.get_by_role("button", name="I'm OK now: close this alert").click()
    expect(page.locator(".messages")).to_contain_text("Closed. Nobody else will be asked.")
    seen.check("/alerts/<id>/, closed")

    # Nobody answers the next one: Sam's step runs out, Mum cannot be asked, and the ladder is done.
    unanswered, _ = do_raise_sos(riley, acting_user=riley)
    for hours in (1, 2, 3):
        with time_machine.travel(timezone.now() + dt.timedelta(hours=hours), tick=False):
            work_due("browser-test")
    unanswered.refresh_from_db()
    assert unanswered.status == AlertStatus.UNANSWERED
    seen.visit(f"/alerts/{unanswered.pk}/", "/alerts/<id>/, unanswered")
    expect(page.locator("#alert-status").get_by_role("status")).to_contain_text("Nobody on your ladder")
    seen.visit("/alerts/", "/alerts/, earlier alerts")


def alert_pages_of_the_people_asked(page, seen, riley, sam, jamie):
    sam_tie = askable(riley, sam)
    jamie_tie = askable(riley, jamie, name="Jamie", relationship="peer_mentor")
    ladder(riley, (sam_tie, jamie_tie))
    alert, _ = do_raise_sos(riley, message="Rough night.", acting_user=riley)
    sam_link, jamie_link = (
        f"/alerts/answer/{answer_token(alert.notifications.get(tie=tie, channel=EMAIL).pk)}/"
        for tie in (sam_tie, jamie_tie)
    )

    # Jamie, signed out, answers from the link in the email.
    for path, label, status, heading in [
        ("/alerts/answer/garbage/", "an answer link, tampered", 400, "This link does not work"),
        (jamie_link[:-4] + "/", "an answer link, cut off", 400, "This link does not work"),
    ]:
        response = page.goto(path)
        assert response is not None and response.status == status
        expect(page.get_by_role("heading", level=1)).to_have_text(heading)
        seen.check(label)
    # Sam's link a day later: Chrome may keep a 410 it was given, so it is not Jamie's link, used next.
    with time_machine.travel(timezone.now() + dt.timedelta(hours=25), tick=False):
        response = page.goto(sam_link)
    assert response is not None and response.status == 410
    expect(page.get_by_role("heading", level=1)).to_have_text("This link has expired")
    seen.check("an answer link, expired")
    seen.visit(jamie_link, "an answer link, before answering")
    page.get_by_role("button", name="I'm reaching out").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you")
    seen.check("an answer link, answered")
    seen.visit(jamie_link, "an answer link, already answered")
    expect(page.get_by_role("status")).to_contain_text("You have already told Riley")

    # Sam, signed in, sees the alert among the people they support and answers too.
    log_in(page, "sam@example.org", PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_have_text("People you support")
    seen.visit("/supporting/", "/supporting/, an alert answered by someone else")
    expect(page.get_by_role("region", name="Asking for your support")).to_contain_text("answered by Jamie")
    seen.visit(f"/alerts/asked/{alert.pk}/", "/alerts/asked/<id>/, before answering")
    page.get_by_role("button", name="I'm reaching out").click()
    expect(page.locator(".messages")).to_contain_text("Thank you. Riley can see you are reaching out.")
    seen.check("/alerts/asked/<id>/, answered")
    seen.visit("/supporting/", "/supporting/, an alert answered by Sam (you)")

    do_close_alert(alert, acting_user=riley)
    seen.visit(f"/alerts/asked/{alert.pk}/", "/alerts/asked/<id>/, closed")
    expect(page.get_by_role("heading", level=1)).to_have_text("Riley closed this alert")
    seen.visit(jamie_link, "an answer link, closed")
    expect(page.get_by_role("heading", level=1)).to_have_text("Riley has closed this alert")


# What each demo person reaches from the menu, whatever their roles; a page that refuses them is a state too.
EVERYONE_PATHS = [
    "/",
    "/network/",
    "/checkins/",
    "/checkins/questionnaires/",
    "/checkins/progress/",
    "/checkins/history/",
    "/alerts/",
    "/alerts/ladder/",
    "/sharing/",
    "/supporting/",
    "/accounts/settings/",
    "/accounts/settings/password/",
    "/accounts/settings/two-factor/",
    "/accounts/data/",
]


def pages_of_each_demo_person(page, seen, demo_riley):
    """Each demo person's own pages, signed in as them (a second factor for those whose role needs one)."""
    for persona in PERSONAS:
        user = User.objects.get(email=persona.email)
        page.context.clear_cookies()
        log_in(page, persona.email, PASSWORD)
        if persona.email in DEMO_TOTP_SECRETS:
            enter_code(page, current_code(user))
        expect(page.get_by_role("heading", level=1)).not_to_have_text("Log in")
        for path in EVERYONE_PATHS:
            response = page.goto(path)
            assert response is not None and response.status < 500, f"{path} as {persona.key}: {response}"
            seen.check(f"{path} as {persona.display_name} ({response.status})")


def _signed_in_staff(page, email):
    """Signs a demo staff member in with the code their authenticator would show now."""
    user = User.objects.get(email=email)
    log_in(page, email, PASSWORD)
    enter_code(page, current_code(user))
    expect(page.get_by_role("heading", level=1)).not_to_have_text("Log in")
    return user


def _rileys_enrolment(riley):
    return Enrolment.objects.select_related("organization").get(member=riley, ended_at__isnull=True)


def care_pages_of_a_counselor(page, seen, demo_riley):
    """Casey's caseload at Harbor (about twenty members of varied need), Riley's record and its pages, the
    alert inbox and a follow-up, her sessions and messages."""
    casey = _signed_in_staff(page, "casey@example.org")
    enrolment = _rileys_enrolment(demo_riley)
    membership = casey.staff_memberships.get(organization=enrolment.organization)
    note = enrolment.notes.filter(kind="progress").first()
    seen.visit("/care/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Caseload")
    seen.visit("/care/?reason=safety", "/care/, filtered by a reason")
    seen.visit(f"/care/?staff={membership.pk}", "/care/, filtered by a staff member")
    response = page.goto("/care/?reason=not-a-reason&staff=0")
    assert response is not None and response.status == 400
    seen.check("/care/, filters with errors")
    base = f"/care/enrolments/{enrolment.pk}"
    for path in [
        f"{base}/",
        f"{base}/notes/",
        f"{base}/notes/{note.pk}/",
        f"{base}/sessions/",
        f"{base}/messages/",
        f"{base}/team/",
        "/care/alerts/",
    ]:
        seen.visit(path)
    page.get_by_role("link", name=re.compile(r"^Acknowledge — ")).first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Follow up with")
    seen.check("/care/alerts/<enrolment>/<signal>/, a follow-up")
    page.get_by_label("Note").fill("Called; the next session is brought forward to tomorrow morning.")
    page.get_by_role("button", name="Acknowledge").click()
    expect(page.locator(".messages")).to_contain_text("Acknowledged.")
    seen.check("/care/alerts/, a signal just acknowledged")
    page.get_by_role("region", name="Acknowledged in the last two weeks").get_by_role("link").first.click()
    expect(page.get_by_role("heading", level=2)).to_contain_text("Acknowledged by Casey")
    seen.check("/care/alerts/<enrolment>/<signal>/, acknowledged")
    for path in ["/care/sessions/", "/care/sessions/group/", "/care/messages/"]:
        seen.visit(path)


def care_pages_of_an_organization_admin(page, seen, demo_riley):
    """Olivia's pages of Harbor: staff and programs, members, consent records, wording, enrolling."""
    _signed_in_staff(page, "olivia@example.org")
    enrolment = _rileys_enrolment(demo_riley)
    organization = enrolment.organization
    consent = enrolment.tie.consents.order_by("-pk").first()
    base = f"/care/organizations/{organization.pk}"
    for path in [
        "/care/organizations/",
        f"{base}/",
        f"{base}/members/",
        f"{base}/consents/",
        f"{base}/consents/{consent.pk}/",
        f"{base}/questionnaires/",
        f"{base}/enrol/",
    ]:
        seen.visit(path)
    page.get_by_label("Email address").fill("not an address")
    submit_empty(page, "Create the invitation")
    seen.check(f"{base}/enrol/, with errors")
    page.get_by_label("Email address").fill("a-rather-long-address-for-a-phone@example.org")
    page.get_by_role("button", name="Create the invitation").click()
    expect(page.get_by_role("heading", name="Your enrolment code")).to_be_visible()
    seen.check("an enrolment code to hand over")
    seen.visit(f"{base}/enrol/invitations/")


def care_pages_of_an_enrolled_member(page, seen, demo_riley):
    """Riley's side of her care at Harbor: My care, progress notes, messages, her consent under Sharing,
    her sessions among her commitments, and the page to type a code."""
    log_in(page, "riley@example.org", PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_have_text("Riley's circle")
    enrolment = _rileys_enrolment(demo_riley)
    for path in [
        "/care/my-care/",
        f"/care/my-care/{enrolment.pk}/notes/",
        f"/care/my-care/{enrolment.pk}/messages/",
        "/sharing/",
        f"/sharing/ties/{enrolment.tie_id}/",
        "/network/commitments/",
        "/care/join/",
    ]:
        seen.visit(path)
    submit_empty(page, "Continue")
    seen.check("/care/join/, with errors")


class Tour(NamedTuple):
    name: str
    person: str  # whose pages these are, for reports
    fixtures: tuple[str, ...]  # the data it needs, passed to `walk` in this order
    walk: Callable[..., None]


TOURS = [
    Tour("anonymous", "nobody signed in", ("demo_riley",), anonymous_pages),
    Tour("member", "Riley", ("demo_riley",), member_pages),
    Tour("empty-circle", "Jo (new)", ("transactional_db",), pages_of_an_empty_circle),
    Tour("checkin-history", "Riley", ("demo_riley",), checkin_pages_with_eight_weeks_of_history),
    Tour(
        "questionnaires", "Jo (new)", ("transactional_db",), questionnaire_pages_through_the_safety_questions
    ),
    Tour(
        "questionnaire-import",
        "Olivia, an operator",
        ("demo_operator",),
        questionnaire_import_as_a_deployment_admin,
    ),
    Tour("two-factor", "Riley, Olivia", ("demo_riley",), two_factor_pages),
    Tour("sharing", "Riley", ("demo_riley",), sharing_pages_of_a_member),
    Tour("supporter", "Sam", ("demo_riley",), supporter_pages),
    Tour("invitation-signed-out", "nobody signed in", ("demo_riley",), invitation_pages_signed_out),
    Tour("alerts-member", "Riley", ("riley", "sam"), alert_pages_of_a_member),
    Tour("alerts-asked", "Jamie, Sam", ("riley", "sam", "jamie"), alert_pages_of_the_people_asked),
    Tour("each-demo-person", "each demo person", ("demo_riley",), pages_of_each_demo_person),
    Tour("care-staff", "Casey", ("demo_riley",), care_pages_of_a_counselor),
    Tour("care-admin", "Olivia", ("demo_riley",), care_pages_of_an_organization_admin),
    Tour("care-member", "Riley", ("demo_riley",), care_pages_of_an_enrolled_member),
]
