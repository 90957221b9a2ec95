"""Test personas, from one place: riley (member), sam (supporter), casey (professional),
olivia (org admin) and mallory (an outsider who must be refused)."""

import functools

import pytest
from django.contrib.auth.hashers import make_password
from django.utils import timezone
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from circles.demo.personas import PERSONAS

# Property tests assert behaviour, never time: on a shared, loaded machine one example can take longer
# than Hypothesis' default 200 ms deadline, or its generation look "too slow", and fail a correct test.
hypothesis_settings.register_profile("circles", deadline=None, suppress_health_check=[HealthCheck.too_slow])
hypothesis_settings.load_profile("circles")

PASSWORD = "a-long-test-passphrase-42"


@functools.cache
def _password_hash() -> str:
    # Argon2 is slow on purpose; hash the shared test password once per run.
    return make_password(PASSWORD)


def make_persona(key: str):
    from circles.accounts.actions import do_grant_role
    from circles.accounts.models import User

    persona = next(p for p in PERSONAS if p.key == key)
    user = User.objects.create(
        email=persona.email,
        display_name=persona.display_name,
        timezone=persona.timezone,
        password=_password_hash(),
        email_verified_at=timezone.now(),
    )
    for role in persona.roles:
        do_grant_role(user, role)
    return user


@pytest.fixture
def riley(db):
    return make_persona("riley")


@pytest.fixture
def sam(db):
    return make_persona("sam")


@pytest.fixture
def jamie(db):
    return make_persona("jamie")


@pytest.fixture
def casey(db):
    return make_persona("casey")


@pytest.fixture
def olivia(db):
    return make_persona("olivia")


@pytest.fixture
def mallory(db):
    return make_persona("mallory")


@pytest.fixture
def personas(riley, sam, casey, olivia, mallory):
    return {"riley": riley, "sam": sam, "casey": casey, "olivia": olivia, "mallory": mallory}


def verify_second_factor(client, user) -> None:
    """Marks a signed-in test client as having given a second factor, when the account has one or its
    role needs one.

    Professionals and organization administrators reach nothing without two-factor sign-in; tests that
    are about something else start as if the code had been typed (test_twofactor.py types real ones).
    """
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from circles.accounts.twofactor import needs_second_factor

    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None and not needs_second_factor(user):
        return
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Test app", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()


@pytest.fixture
def client_for(client):
    """client_for(user) -> a test client signed in as that user (None: signed out)."""
    from django.test import Client

    def make(user):
        new = Client()
        if user is not None:
            new.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
            verify_second_factor(new, user)
        return new

    return make


@pytest.fixture(autouse=True)
def _fast_static(settings):
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _fresh_shared_cache(settings):
    """Rate-limit counters in Redis outlive a test's transaction (the database cache rolls back with it):
    each test starts with none, as CI runs the PostgreSQL suite with CACHE_URL set to Redis."""
    if "redis" in settings.CACHES["default"]["BACKEND"].lower():
        from django.core.cache import cache

        cache.clear()
    yield


@pytest.fixture(autouse=True)
def _audit_checkpoints_in_a_temporary_file(settings, tmp_path_factory):
    """Checkpoints written by tests (the worker's periodic jobs) never land in the development trail's
    own file beside manage.py, where a test's "0 rows" line would hide a real truncation."""
    settings.AUDIT_CHECKPOINT_PATH = str(tmp_path_factory.getbasetemp() / "audit-checkpoints.jsonl")
