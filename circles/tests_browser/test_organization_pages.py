"""Olivia's organization pages in a browser: none scrolls sideways on a 320 px phone, and axe finds no
serious or critical violation on any of them (the phone and a desktop)."""

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from circles.care.actions import do_invite_staff
from circles.care.tests.factories import enrol, make_organization
from circles.demo.twofactor import current_code
from circles.tests_browser.page_states import enter_code, log_in
from circles.tests_browser.test_accessibility import Audit, axe_source, context_options  # noqa: F401
from conftest import PASSWORD, make_persona

pytestmark = pytest.mark.browser


def test_organization_pages_fit_a_phone_and_pass_axe(transactional_db, page, axe_source):  # noqa: F811
    olivia, casey, riley = make_persona("olivia"), make_persona("casey"), make_persona("riley")
    harbor = make_organization(olivia, casey)
    enrolment = enrol(riley, harbor)
    invitation = do_invite_staff(
        harbor.organization,
        email="a-rather-long-address-for-a-phone@example.org",
        role="peer_specialist",
        clinical_supervisor=True,
        origin="http://testserver/",
        acting_user=olivia,
    )
    TOTPDevice.objects.get_or_create(user=olivia, name="Authenticator app", confirmed=True)
    log_in(page, olivia.email, PASSWORD)
    enter_code(page, current_code(olivia))
    expect(page.get_by_role("heading", level=1)).not_to_have_text("Log in")
    organization = harbor.organization.pk
    consent = enrolment.tie.consents.get()
    paths = [
        "/care/organizations/",
        "/care/organizations/new/",
        f"/care/organizations/{organization}/",
        f"/care/organizations/{organization}/members/",
        f"/care/organizations/{organization}/consents/",
        f"/care/organizations/{organization}/consents/{consent.pk}/",
        f"/care/organizations/{organization}/questionnaires/",
        f"/care/organizations/{organization}/staff/{harbor.counselor.pk}/",
    ]
    audit = Audit(page, axe_source)
    for path in paths:
        audit.visit(path)
        page.set_viewport_size({"width": 320, "height": 640})
        widths = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
        assert widths[0] <= widths[1], (path, widths)
    page.context.clear_cookies()
    for path in (f"/care/staff-invitation/{invitation.token}/", "/care/staff-invitation/altered/"):
        response = page.goto(path)
        assert response is not None
        audit.check(path)
    audit.assert_clean()
