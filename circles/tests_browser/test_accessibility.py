"""axe-core on every page, anonymous and signed in: no serious or critical violations, nothing off-site."""

import datetime as dt
import json
import re
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.http import Http404
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from circles.accounts.actions import do_sign_up
from circles.accounts.models import User
from circles.alerts.actions import do_answer, do_close_alert, do_raise_sos
from circles.alerts.channels import answer_token
from circles.alerts.delivery import work_due
from circles.alerts.logic import EMAIL
from circles.alerts.models import AlertStatus
from circles.alerts.tests.factories import askable, ladder
from circles.checkins import logic
from circles.checkins.actions import do_save_answers, do_save_checkin, do_start_assessment
from circles.checkins.definitions import BUILTIN_DIR
from circles.checkins.models import Assessment, CheckIn
from circles.demo.data import build_demo
from circles.demo.twofactor import current_code
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
from circles.tests_browser.conftest import open_menu

pytestmark = pytest.mark.browser

AXE = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"
PASSWORD = "a-long-test-passphrase-42"
BLOCKING = {"serious", "critical"}


@pytest.fixture
def context_options():
    # The site allows only its own scripts (CSP script-src 'self'); axe is injected inline.
    return {"bypass_csp": True}


@pytest.fixture(scope="module")
def axe_source():
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run bin/install-browser-deps")
    return AXE.read_text()


@pytest.fixture
def demo_riley(transactional_db):
    """Riley, with the demo circle: a dozen ties, eight weeks of contact and three commitments."""
    build_demo(password=PASSWORD)
    return User.objects.get(email="riley@example.org")


@pytest.fixture
def demo_operator(transactional_db):
    """The demo, and whoever runs it: a superuser, the only one who may import questionnaire wording."""
    build_demo(password=PASSWORD)
    operator = User.objects.create_superuser("operator@example.org", PASSWORD, display_name="Dana")
    # A deployment administrator signs in with a second factor too.
    TOTPDevice.objects.create(user=operator, name="Authenticator app", confirmed=True)
    return operator


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


class Audit:
    """Runs axe on each page shown and keeps its serious and critical violations, page by page."""

    def __init__(self, page, axe_source):
        self.page, self.axe_source, self.findings = page, axe_source, {}

    def visit(self, path, label=None):
        response = self.page.goto(path)
        assert response is not None and response.ok, f"{path} answered {response and response.status}"
        self.check(label or path)

    def check(self, label):
        self.page.add_script_tag(content=self.axe_source)
        # Collapsed tables are part of the page too: open them so axe looks inside.
        self.page.evaluate("document.querySelectorAll('details').forEach((d) => { d.open = true; })")
        result = self.page.evaluate("axe.run()")
        # The header's menu was opened with them; closed again, it does not lie over what the test taps next.
        self.page.evaluate("document.querySelectorAll('header details').forEach((d) => { d.open = false; })")
        lines = [
            f"  {violation['id']} ({violation['impact']}): {violation['help']}\n"
            + "".join(f"    at {' '.join(node['target'])}\n" for node in violation["nodes"])
            for violation in result["violations"]
            if violation["impact"] in BLOCKING
        ]
        if lines:
            self.findings[label] = "".join(lines)

    def assert_clean(self):
        if self.findings:
            report = "".join(f"{label}:\n{lines}" for label, lines in self.findings.items())
            pytest.fail(f"axe found serious or critical violations:\n{report}", pytrace=False)


@pytest.fixture
def audit(page, axe_source):
    return Audit(page, axe_source)


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


def test_anonymous_pages(page, audit, demo_riley, offsite_requests):
    for path in ["/", "/help-now/", "/accounts/login/", "/accounts/signup/", "/accounts/password-reset/"]:
        audit.visit(path)

    page.get_by_label("Email:", exact=True).fill("riley@example.org")
    page.get_by_role("button", name="Send the link").click()
    expect(page).to_have_url(re.compile(r"/accounts/password-reset/sent/$"))
    audit.check("password reset sent")

    uid = urlsafe_base64_encode(force_bytes(demo_riley.pk))
    token = default_token_generator.make_token(demo_riley)
    audit.visit(f"/accounts/password-reset/{uid}/{token}/")
    expect(page.get_by_role("button", name="Save new password")).to_be_visible()
    submit_empty(page, "Save new password")
    audit.check("password reset confirm, with errors")
    audit.visit("/accounts/password-reset/not-a/valid-link/")
    audit.visit("/accounts/password-reset/complete/")

    page.goto("/accounts/signup/")
    submit_empty(page, "Create account")
    audit.check("sign-up, with errors")

    for _attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        log_in(page, "riley@example.org", "not-the-password")
        expect(page.get_by_role("alert").first).to_contain_text("do not match an account")
    audit.check("login, with errors")
    log_in(page, "riley@example.org", "not-the-password")
    expect(page.get_by_role("heading", level=1)).to_have_text("Too many attempts to log in")
    audit.check("locked out")

    audit.assert_clean()
    assert offsite_requests == []


def test_member_pages(page, audit, demo_riley, offsite_requests):
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
        audit.visit(path)

    for path in ["/network/ties/new/", "/network/contacts/new/", "/network/commitments/new/"]:
        audit.visit(path)
        submit_empty(page)
        audit.check(f"{path}, with errors")

    audit.visit("/accounts/settings/tokens/")
    page.get_by_label("What is this token for?").fill("my phone app")
    page.get_by_role("button", name="Create token").click()
    expect(page.locator("#new-token")).to_be_visible()
    audit.check("/accounts/settings/tokens/, new token shown")
    page.get_by_role("button", name="Revoke my phone app").click()
    expect(page.locator(".messages")).to_contain_text("no longer works")
    audit.check("/accounts/settings/tokens/, token revoked")

    audit.assert_clean()
    assert offsite_requests == []


def test_pages_of_an_empty_circle(page, audit, transactional_db, offsite_requests):
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
        audit.visit(path)

    page.get_by_label("Count my time in recovery").check()
    submit_empty(page)
    audit.check("/checkins/settings/, with errors")

    audit.visit("/checkins/")
    expect(page.get_by_role("heading", name="Due today")).to_be_visible()
    submit_empty(page, "Save check-in")
    audit.check("/checkins/, with errors")

    audit.assert_clean()
    assert offsite_requests == []


def test_checkin_pages_with_eight_weeks_of_history(page, audit, demo_riley, offsite_requests):
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
        audit.visit(path)
    newest = {}
    for result in Assessment.objects.completed().filter(member=demo_riley).order_by("completed_at"):
        newest[result.instrument] = result
    for instrument, result in sorted(newest.items()):
        audit.visit(f"/checkins/answers/{result.pk}/result/", f"{instrument} result")

    page.goto(f"/checkins/day/{today - dt.timedelta(days=30)}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Check-in for")
    audit.check("a check-in day too long ago")

    audit.visit("/checkins/settings/")
    page.get_by_label("Count my time in recovery").check()
    page.get_by_label("My recovery date").fill((today - dt.timedelta(days=100)).isoformat())
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_role("heading", name="Time in recovery")).to_be_visible()
    audit.check("/checkins/history/, counting days")

    page.get_by_role("button", name="I need help now").click()
    expect(page.get_by_role("status")).to_contain_text("Help is here.")
    audit.check("/help-now/, pressed")

    audit.assert_clean()
    assert offsite_requests == []


def test_questionnaire_pages_through_the_safety_questions(page, audit, transactional_db, offsite_requests):
    do_sign_up(email="jo@example.org", password=PASSWORD, display_name="Jo", timezone_name="Europe/Madrid")
    log_in(page, "jo@example.org", PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_have_text("Jo's circle")

    def answer(number, words):
        group = page.get_by_role("group", name=re.compile(rf"^{number}\. "))
        group.get_by_label(words, exact=True).check()

    audit.visit("/checkins/questionnaires/")
    page.get_by_role("button", name="Start PHQ-9").click()
    audit.check("PHQ-9, empty")
    submit_empty(page, "Submit")
    audit.check("PHQ-9, with errors")
    answer(9, "Some days")
    page.get_by_role("button", name="Save and finish later").click()
    expect(page.get_by_role("region", name="Help is available right now")).to_be_visible()
    audit.check("PHQ-9 saved part-way, with the crisis panel and the offer")

    for number in range(1, 9):
        answer(number, "No days")
    page.get_by_role("button", name="Submit", exact=True).click()
    expect(page.get_by_role("heading", name="A few more questions about your safety")).to_be_visible()
    audit.check("PHQ-9 result, with the crisis panel and the offer")

    page.get_by_role("button", name="Answer the safety questions").click()
    audit.check("C-SSRS, empty")
    submit_empty(page, "Submit")
    audit.check("C-SSRS, with errors")
    answer(1, "Yes")
    answer(2, "Yes")
    page.get_by_role("button", name="Submit", exact=True).click()
    expect(page.locator(".messages")).to_contain_text("A few more questions follow")
    audit.check("C-SSRS, with the questions skip logic revealed")
    for number in range(3, 7):
        answer(number, "No")
    page.get_by_role("button", name="Submit", exact=True).click()
    expect(page.get_by_role("region", name="Help is available right now")).to_be_visible()
    audit.check("C-SSRS result, with the crisis panel")

    page.get_by_role("link", name="Back to questionnaires").click()
    page.get_by_role("link", name="PHQ-9", exact=True).click()
    expect(page.get_by_role("link", name="Your safety questions")).to_be_visible()
    audit.check("PHQ-9 result, safety questions answered")
    audit.visit("/checkins/questionnaires/")
    audit.visit("/checkins/progress/?days=30")

    audit.assert_clean()
    assert offsite_requests == []


def test_questionnaire_import_as_a_deployment_admin(page, audit, demo_operator, offsite_requests):
    log_in(page, "olivia@example.org", PASSWORD)
    enter_code(page, current_code(User.objects.get(email="olivia@example.org")))
    expect(page.get_by_role("heading", level=1)).to_have_text("Olivia's circle")
    refused = page.goto("/checkins/questionnaires/import/")
    assert refused is not None and refused.status == 403
    audit.check("import, refused to an organization administrator")
    page.context.clear_cookies()

    log_in(page, "operator@example.org", PASSWORD)
    enter_code(page, current_code(demo_operator))
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    audit.visit("/checkins/questionnaires/import/")
    submit_empty(page, "Import")
    audit.check("import, with errors")

    wording = json.loads((BUILTIN_DIR / "who5.json").read_text())
    wording.update(version="2024-translated", title="WHO-5, clinic wording")
    page.get_by_label("Instrument").select_option("who5")
    page.get_by_label("FHIR Questionnaire (JSON file)").set_input_files(
        files=[{"name": "who5.json", "mimeType": "application/json", "buffer": json.dumps(wording).encode()}]
    )
    page.get_by_role("button", name="Import", exact=True).click()
    expect(page.locator(".messages")).to_contain_text("Imported WHO-5, clinic wording")
    audit.check("import, with an imported wording")

    audit.assert_clean()
    assert offsite_requests == []


def test_two_factor_pages(page, audit, demo_riley, offsite_requests):
    """Setting it up (Riley), then the code page with a wrong code and a right one (Olivia)."""
    log_in(page, "riley@example.org", PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_have_text("Riley's circle")
    audit.visit("/accounts/settings/two-factor/")
    expect(page.get_by_role("img", name=re.compile("QR code"))).to_be_visible()
    page.get_by_role("button", name="Turn on two-factor sign-in").click()
    audit.check("two-factor set-up, with errors")
    open_menu(page).get_by_role("button", name="Log out").click()

    olivia = User.objects.get(email="olivia@example.org")
    log_in(page, olivia.email, PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_have_text("Enter your code")
    audit.check("the code page")
    page.get_by_label("Code").fill("000000")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("alert").first).to_be_visible()
    audit.check("the code page, with a wrong code")
    with time_machine.travel(timezone.now() + dt.timedelta(seconds=35), tick=True):
        enter_code(page, current_code(olivia))
        expect(page.get_by_role("heading", level=1)).to_have_text("Olivia's circle")
        audit.visit("/accounts/settings/two-factor/")

    audit.assert_clean()
    assert offsite_requests == []


def sam_reads_riley(riley):
    """Sam reads what Riley shares and Mallory is refused, so Riley's access history has rows of each kind."""
    sam, mallory = User.objects.get(email="sam@example.org"), User.objects.get(email="mallory@example.org")
    access_shared_data(sam, access_supported_members(sam))
    with pytest.raises(Http404):
        access_disclosure(mallory, riley.pk)


def invite(member, tie_name, email):
    tie = member.ties.get(display_name=tie_name)
    return do_invite_supporter(tie, email, origin="http://testserver/", acting_user=member)


def test_sharing_pages_of_a_member(page, audit, demo_riley, offsite_requests):
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
        audit.visit(path)

    page.goto(f"/sharing/consents/{consent.pk}/")
    page.emulate_media(media="print")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Consent record {consent.pk}")
    expect(page.locator(".site-header")).to_be_hidden()
    expect(page.locator(".site-footer")).to_be_hidden()
    expect(page.locator(".no-print")).to_be_hidden()
    expect(page.locator(".statement")).to_be_visible()
    audit.check(f"/sharing/consents/{consent.pk}/, printed")
    page.emulate_media(media="screen")

    audit.visit("/sharing/reach/")
    page.get_by_label("Your phone number").fill("call me")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Use digits, spaces and + - ( ) only.")).to_be_visible()
    audit.check("/sharing/reach/, with errors")

    audit.visit(f"/sharing/ties/{sam_tie.pk}/")
    page.get_by_label("Type your full name to sign").fill("")
    submit_empty(page, "Sign and save")
    audit.check("consent form, with errors")
    page.goto(f"/sharing/ties/{mum_tie.pk}/")
    page.get_by_label("Their email address").fill("not an address")
    submit_empty(page, "Send invitation")
    audit.check("invitation form, with errors")

    audit.visit(f"/sharing/ties/{sam_tie.pk}/")
    page.get_by_label("Returns to use").check()
    page.get_by_label("Type your full name to sign").fill("Riley Demo")
    page.get_by_role("button", name="Sign and save").click()
    expect(page.locator(".messages")).to_contain_text("Saved. Sam sees what you chose from now on.")
    audit.check("consent changed")
    page.get_by_role("button", name="Stop sharing everything").click()
    expect(page.locator(".messages")).to_contain_text("You no longer share anything with Sam.")
    audit.check("consent revoked")
    audit.visit("/sharing/consents/")

    audit.assert_clean()
    assert offsite_requests == []


def test_supporter_pages(page, audit, demo_riley, offsite_requests):
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

    audit.visit("/supporting/")
    audit.visit(f"/supporting/{demo_riley.pk}/")
    expect(page.locator("svg.network-map")).to_be_visible()
    submit_empty(page, "Send")
    audit.check("encouragement, with errors")
    page.get_by_label("Send a few words of encouragement").fill("Proud of you.")
    page.get_by_role("button", name="Send", exact=True).click()
    expect(page.locator(".messages")).to_contain_text("Sent. Riley will see it in their contact log.")
    audit.check("encouragement sent")
    audit.visit("/supporting/notice/")

    # Each kind of guidance, by the relationship Riley recorded for Sam.
    for relationship, heading in [
        ("parent", "as family"),
        ("friend", "as a friend"),
        ("peer", "as a peer"),
    ]:
        type(tie).objects.filter(pk=tie.pk).update(relationship=relationship)
        audit.visit(f"/supporting/{demo_riley.pk}/", f"guidance for a {relationship}")
        expect(page.get_by_role("heading", name=re.compile(heading))).to_be_visible()

    audit.visit(f"/invitation/{from_mallory.token}/", "an invitation, signed in")
    expect(page.get_by_role("button", name="Accept as Sam")).to_be_visible()

    do_revoke_consent(tie, acting_user=demo_riley)
    audit.visit("/supporting/", "/supporting/, nothing shared")
    audit.visit(f"/supporting/{demo_riley.pk}/", f"/supporting/{demo_riley.pk}/, nothing shared")
    expect(page.get_by_text("Riley is not sharing anything with you right now.")).to_be_visible()

    audit.assert_clean()
    assert offsite_requests == []


def test_invitation_pages_signed_out(page, audit, demo_riley, offsite_requests):
    invitation = invite(demo_riley, "Mum", "mum@example.org")
    audit.visit(f"/invitation/{invitation.token}/", "an invitation, signed out")
    expect(page.get_by_role("link", name="I already have an account")).to_be_visible()

    for path, label in [
        ("/invitation/garbage/", "a tampered invitation link"),
        (f"/invitation/{invitation.token[:-3]}/", "a cut-off invitation link"),
    ]:
        response = page.goto(path)
        assert response is not None and response.status == 400
        expect(page.get_by_role("heading", level=1)).to_have_text("This invitation link cannot be used")
        audit.check(label)

    do_cancel_invitation(invitation, acting_user=demo_riley)
    response = page.goto(f"/invitation/{invitation.token}/")
    assert response is not None and response.status == 410
    expect(page.locator(".lead")).to_contain_text("Riley cancelled this invitation.")
    audit.check("a cancelled invitation")

    audit.assert_clean()
    assert offsite_requests == []


def test_alert_pages_of_a_member(page, audit, riley, sam, offsite_requests):
    sam_tie = askable(riley, sam)  # in Riley's inner circle, so the ladder page suggests Sam
    make_tie(riley, "Mum", "parent")  # not linked to an account: cannot be asked yet
    log_in(page, "riley@example.org", PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_have_text("Riley's circle")

    audit.visit("/alerts/", "/alerts/, no ladder and no alerts")
    audit.visit("/alerts/ladder/", "/alerts/ladder/, no ladder, with a suggestion")
    expect(page.get_by_role("button", name="Use this ladder")).to_be_visible()
    submit_empty(page, "Add to the ladder")
    audit.check("/alerts/ladder/, add form with errors")
    audit.visit("/alerts/rules/")
    page.locator("input[name=craving_level]").fill("99")
    submit_empty(page, "Save rules")
    audit.check("/alerts/rules/, with errors")
    audit.visit("/alerts/sos/", "/alerts/sos/, no ladder")
    audit.visit("/help-now/")
    page.get_by_role("main").get_by_role("button", name="I need help now").click()
    expect(page.get_by_role("region", name="Ask the people on your crisis ladder")).to_contain_text(
        "You have nobody on your crisis ladder yet"
    )
    audit.check("/help-now/, pressed, no ladder")

    page.goto("/alerts/ladder/")
    page.get_by_role("button", name="Use this ladder").click()
    expect(page.locator(".messages")).to_contain_text("Your ladder is saved.")
    audit.check("/alerts/ladder/, the suggested ladder")
    page.get_by_label("Person").select_option(label="Mum")
    page.get_by_label("Step", exact=True).select_option(label="A new step 2")
    page.get_by_label("Quiet hours from (optional)").fill("22:00")
    page.get_by_label("until", exact=True).fill("07:00")
    page.get_by_role("button", name="Add to the ladder").click()
    expect(page.locator(".messages")).to_contain_text("Mum is on your ladder.")
    expect(page.get_by_role("region", name="Step 2")).to_contain_text("cannot be asked yet")
    audit.check("/alerts/ladder/, two steps, one person cannot be asked yet")
    audit.visit("/alerts/", "/alerts/, with a ladder")
    audit.visit("/alerts/sos/", "/alerts/sos/, with a ladder")

    page.get_by_role("banner").get_by_role("button", name="I need help now").click()
    sos = page.get_by_role("region", name="Ask the people on your crisis ladder")
    expect(sos.get_by_role("button", name="Yes, ask them now")).to_be_visible()
    audit.check("/help-now/, pressed, with the SOS form")
    sos.get_by_label("A message for the people you ask (optional)").fill("Rough night.")
    sos.get_by_role("button", name="Yes, ask them now").click()
    expect(page.locator("#alert-status").get_by_role("status")).to_contain_text("Nobody has answered yet.")
    alert = riley.alerts.get()
    audit.check("/alerts/<id>/, active")
    audit.visit("/alerts/", "/alerts/, an open alert")
    page.get_by_role("banner").get_by_role("button", name="I need help now").click()
    already = page.get_by_role("region", name="You have already asked your ladder")
    expect(already.get_by_role("status")).to_contain_text("Nobody has answered yet.")
    expect(already.get_by_role("link", name="See who has been asked and who has answered")).to_be_visible()
    audit.check("/help-now/, pressed, an SOS already open")

    do_answer(alert, sam_tie, acting_user=sam)
    audit.visit(f"/alerts/{alert.pk}/", "/alerts/<id>/, answered")
    expect(page.locator("#alert-status").get_by_role("status")).to_contain_text("Sam is reaching out")
    page.get_by_role("button", name="I'm OK now: close this alert").click()
    expect(page.locator(".messages")).to_contain_text("Closed. Nobody else will be asked.")
    audit.check("/alerts/<id>/, closed")

    # Nobody answers the next one: Sam's step runs out, Mum cannot be asked, and the ladder is done.
    unanswered, _ = do_raise_sos(riley, acting_user=riley)
    for hours in (1, 2, 3):
        with time_machine.travel(timezone.now() + dt.timedelta(hours=hours), tick=False):
            work_due("browser-test")
    unanswered.refresh_from_db()
    assert unanswered.status == AlertStatus.UNANSWERED
    audit.visit(f"/alerts/{unanswered.pk}/", "/alerts/<id>/, unanswered")
    expect(page.locator("#alert-status").get_by_role("status")).to_contain_text("Nobody on your ladder")
    audit.visit("/alerts/", "/alerts/, earlier alerts")

    audit.assert_clean()
    assert offsite_requests == []


def test_alert_pages_of_the_people_asked(page, audit, riley, sam, jamie, offsite_requests):
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
        audit.check(label)
    # Sam's link a day later: Chrome may keep a 410 it was given, so it is not Jamie's link, used next.
    with time_machine.travel(timezone.now() + dt.timedelta(hours=25), tick=False):
        response = page.goto(sam_link)
    assert response is not None and response.status == 410
    expect(page.get_by_role("heading", level=1)).to_have_text("This link has expired")
    audit.check("an answer link, expired")
    audit.visit(jamie_link, "an answer link, before answering")
    page.get_by_role("button", name="I'm reaching out").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you")
    audit.check("an answer link, answered")
    audit.visit(jamie_link, "an answer link, already answered")
    expect(page.get_by_role("status")).to_contain_text("You have already told Riley")

    # Sam, signed in, sees the alert among the people they support and answers too.
    log_in(page, "sam@example.org", PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_have_text("People you support")
    audit.visit("/supporting/", "/supporting/, an alert answered by someone else")
    expect(page.get_by_role("region", name="Asking for your support")).to_contain_text("answered by Jamie")
    audit.visit(f"/alerts/asked/{alert.pk}/", "/alerts/asked/<id>/, before answering")
    page.get_by_role("button", name="I'm reaching out").click()
    expect(page.locator(".messages")).to_contain_text("Thank you. Riley can see you are reaching out.")
    audit.check("/alerts/asked/<id>/, answered")
    audit.visit("/supporting/", "/supporting/, an alert answered by Sam (you)")

    do_close_alert(alert, acting_user=riley)
    audit.visit(f"/alerts/asked/{alert.pk}/", "/alerts/asked/<id>/, closed")
    expect(page.get_by_role("heading", level=1)).to_have_text("Riley closed this alert")
    audit.visit(jamie_link, "an answer link, closed")
    expect(page.get_by_role("heading", level=1)).to_have_text("Riley has closed this alert")

    audit.assert_clean()
    assert offsite_requests == []
