"""axe-core on every page, anonymous and signed in: no serious or critical violations, nothing off-site."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from playwright.sync_api import expect

from circles.accounts.actions import do_sign_up
from circles.accounts.models import User
from circles.demo.data import build_demo

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


class Audit:
    """Runs axe on each page shown and keeps its serious and critical violations, page by page."""

    def __init__(self, page, axe_source):
        self.page, self.axe_source, self.findings = page, axe_source, {}

    def visit(self, path):
        response = self.page.goto(path)
        assert response is not None and response.ok, f"{path} answered {response and response.status}"
        self.check(path)

    def check(self, label):
        self.page.add_script_tag(content=self.axe_source)
        # Collapsed tables are part of the page too: open them so axe looks inside.
        self.page.evaluate("document.querySelectorAll('details').forEach((d) => { d.open = true; })")
        result = self.page.evaluate("axe.run()")
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


def submit_empty(page, button="Save"):
    page.get_by_role("button", name=button, exact=True).click()
    expect(page.locator(".form-summary")).to_be_visible()


def test_anonymous_pages(page, audit, demo_riley, offsite_requests):
    for path in ["/", "/accounts/login/", "/accounts/signup/", "/accounts/password-reset/"]:
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
    ]:
        audit.visit(path)

    audit.assert_clean()
    assert offsite_requests == []
