"""Test personas, from one place: riley (member), sam (supporter), casey (professional),
olivia (org admin) and mallory (an outsider who must be refused)."""

import functools

import pytest
from django.contrib.auth.hashers import make_password

from circles.demo.personas import PERSONAS

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


@pytest.fixture
def client_for(client):
    """client_for(user) -> a test client signed in as that user (None: signed out)."""
    from django.test import Client

    def make(user):
        new = Client()
        if user is not None:
            new.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        return new

    return make


@pytest.fixture(autouse=True)
def _fast_static(settings):
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
