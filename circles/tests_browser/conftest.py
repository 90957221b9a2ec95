"""Browser fixtures: one headless chromium per test module, and a fresh context and page per test.

Playwright drives Debian's chromium (bin/install-browser-deps); it never downloads a browser.
"""

from urllib.parse import urlsplit

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import sync_playwright

from circles.accounts.models import User
from circles.demo.data import build_demo
from circles.tests_browser.page_states import PASSWORD, open_menu  # noqa: F401 — tests import it from here

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def _orm_beside_playwright():
    """Lets Django's ORM run in the test thread while Playwright is started.

    Playwright's sync API marks an asyncio loop as running in this thread, and Django then refuses
    ORM calls unless DJANGO_ALLOW_ASYNC_UNSAFE is set. Both last only as long as a browser module, so
    that other tests in the same run (and the subprocesses they start) see neither.
    """
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        yield


@pytest.fixture(scope="module")
def browser(_orm_beside_playwright):
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def context_options():
    """Options for the browser context beyond a phone in Madrid; a test module overrides this fixture to
    change them (a narrower viewport, scripts off)."""
    return {}


@pytest.fixture
def context(browser, live_server, context_options):
    options = {"viewport": PHONE, "locale": "en-US", "timezone_id": "Europe/Madrid", **context_options}
    context = browser.new_context(base_url=live_server.url, **options)
    context.set_default_timeout(10_000)
    yield context
    context.close()


@pytest.fixture
def offsite_requests(context, live_server):
    """Every request the pages make to a host other than the live server (there should be none)."""
    ours = urlsplit(live_server.url).netloc
    seen: list[str] = []

    def record(request):
        url = urlsplit(request.url)
        if url.scheme not in {"data", "blob", "about"} and url.netloc != ours:
            seen.append(request.url)

    context.on("request", record)
    return seen


@pytest.fixture
def page(context, offsite_requests):
    return context.new_page()


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
