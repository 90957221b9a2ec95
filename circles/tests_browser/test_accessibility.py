"""axe-core on every page state (page_states.TOURS), anonymous and signed in: no serious or critical
violations, nothing off-site."""

from pathlib import Path

import pytest
from django.conf import settings

from circles.tests_browser.conftest import PHONE
from circles.tests_browser.page_states import TOURS

pytestmark = pytest.mark.browser

AXE = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = {"serious", "critical"}
DESKTOP = {"width": 1366, "height": 900}
TARGETS = "{rules: {'target-size': {enabled: true}}}"
OPEN, CLOSE = "(d) => { d.open = true; }", "(d) => { d.open = false; }"


@pytest.fixture
def context_options():
    # The site allows only its own scripts (CSP script-src 'self'); axe is injected inline.
    return {"bypass_csp": True}


@pytest.fixture(scope="module")
def axe_source():
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run bin/install-browser-deps")
    return AXE.read_text()


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
        # Collapsed tables are part of the page too: open them so axe looks inside. The header's menu is
        # checked on its own, open, afterwards: open during the page's pass it lies over the page's own
        # controls, which axe then counts as too small to tap.
        self.page.evaluate("document.querySelectorAll('main details').forEach((d) => { d.open = true; })")
        # Target size (WCAG 2.2 AA, 2.5.8) is off in axe by default: every control is at least 24 by 24 px.
        # Each page state is checked on the phone and again on a desktop, where the header shows more.
        violations = []
        try:
            for viewport in (PHONE, DESKTOP):
                self.page.set_viewport_size(viewport)
                violations += self.page.evaluate(f"axe.run({TARGETS})")["violations"]
                self.page.evaluate(f"document.querySelectorAll('header details').forEach({OPEN})")
                violations += self.page.evaluate(f"axe.run('header', {TARGETS})")["violations"]
                # Closed again, the menu does not lie over what the test taps next.
                self.page.evaluate(f"document.querySelectorAll('header details').forEach({CLOSE})")
        finally:
            self.page.set_viewport_size(PHONE)
        lines = [
            f"  {violation['id']} ({violation['impact']}): {violation['help']}\n"
            + "".join(f"    at {' '.join(node['target'])}\n" for node in violation["nodes"])
            for violation in violations
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


@pytest.mark.parametrize("tour", TOURS, ids=lambda tour: tour.name)
def test_no_serious_violations(tour, request, page, audit, offsite_requests):
    tour.walk(page, audit, *(request.getfixturevalue(name) for name in tour.fixtures))
    audit.assert_clean()
    assert offsite_requests == []
