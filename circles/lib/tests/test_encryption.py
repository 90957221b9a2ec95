"""Encrypted text fields: authenticated, several keys, clear errors, and no lookup that silently lies."""

import os
import subprocess
import sys

import pytest
from cryptography.fernet import Fernet
from django import forms
from django.conf import settings
from django.core.exceptions import FieldError, ImproperlyConfigured, ValidationError
from django.db import connection
from django.test import override_settings

from circles.lib import encryption
from circles.lib.encryption import DecryptionError, decrypt, encrypt
from circles.network.actions import do_change_tie_status
from circles.network.forms import TieForm
from circles.network.models import Interaction, TieStatusChange
from circles.network.tests.factories import make_interaction, make_tie
from circles.records.checks import check_encryption_keys

KEY_A = Fernet.generate_key().decode()
KEY_B = Fernet.generate_key().decode()


def raw(model, pk, column):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {model._meta.db_table} WHERE id = %s", [pk])  # noqa: S608
        return cursor.fetchone()[0]


@override_settings(FIELD_ENCRYPTION_KEYS=[KEY_A])
def test_round_trip_with_words_from_any_language():
    text = "Ich vermisse meine Schwester — 想念 🌧"
    token = encrypt(text)
    assert text not in token
    assert token != encrypt(text)  # a fresh IV each time: equal notes do not look equal
    assert decrypt(token) == text


def test_an_altered_token_is_refused_not_returned():
    with override_settings(FIELD_ENCRYPTION_KEYS=[KEY_A]):
        token = encrypt("I am scared of Friday")
        flipped = token[:30] + ("A" if token[30] != "A" else "B") + token[31:]
        with pytest.raises(DecryptionError, match="no key in FIELD_ENCRYPTION_KEYS opens it"):
            decrypt(flipped)
    with override_settings(FIELD_ENCRYPTION_KEYS=[KEY_B]), pytest.raises(DecryptionError):
        decrypt(token)  # the right shape, another key


@pytest.mark.parametrize(
    "keys",
    [[], ["not-a-key"], [KEY_A, "c2hvcnQ="], ["ü" * 44]],
    ids=["none", "not base64", "second too short", "not ascii"],
)
def test_bad_key_configuration_is_named_without_echoing_the_key(keys):
    with override_settings(FIELD_ENCRYPTION_KEYS=keys), pytest.raises(ImproperlyConfigured) as refused:
        encrypt("anything")
    message = str(refused.value)
    assert "FIELD_ENCRYPTION_KEYS" in message
    assert "Fernet.generate_key()" in message
    assert all(key not in message for key in keys if key)


def test_the_first_key_encrypts_and_every_key_decrypts():
    with override_settings(FIELD_ENCRYPTION_KEYS=[KEY_B]):
        old = encrypt("written under B")
    with override_settings(FIELD_ENCRYPTION_KEYS=[KEY_A, KEY_B]):
        new = encrypt("written under A")
        assert decrypt(old) == "written under B"
    with override_settings(FIELD_ENCRYPTION_KEYS=[KEY_A]):
        assert decrypt(new) == "written under A"


@pytest.mark.django_db
def test_the_column_holds_a_token_and_the_model_gives_the_words(riley):
    tie = make_tie(riley, "Mum", "parent", boundaries="Not before noon")
    assert raw(type(tie), tie.pk, "boundaries").startswith("gAAAAA")
    tie.refresh_from_db()
    assert tie.boundaries == "Not before noon"
    contact = make_interaction(riley, tie, note="She asked about the money again")
    assert Interaction.objects.values_list("note", flat=True).get(pk=contact.pk) == (
        "She asked about the money again"
    )
    # update() and bulk_create() write through the field too.
    Interaction.objects.filter(pk=contact.pk).update(note="Changed my mind")
    assert "Changed my mind" not in raw(Interaction, contact.pk, "note")
    [bulk] = Interaction.objects.bulk_create(
        [Interaction(member=riley, tie=tie, kind="call", note="bulk words")]
    )
    assert "bulk words" not in raw(Interaction, bulk.pk, "note")


@pytest.mark.django_db
def test_empty_stays_empty_and_a_missing_key_is_a_clear_error(riley):
    tie = make_tie(riley, "Mum", "parent", boundaries="")
    assert raw(type(tie), tie.pk, "boundaries") == ""
    contact = make_interaction(riley, tie, note="Private words")
    with override_settings(FIELD_ENCRYPTION_KEYS=[KEY_B]):
        with pytest.raises(DecryptionError, match="network_interaction.note"):
            Interaction.objects.get(pk=contact.pk)
        assert Interaction.objects.only("id").get(pk=contact.pk).pk == contact.pk  # not loaded, no error


@pytest.mark.django_db
def test_the_database_cannot_be_asked_to_search_encrypted_text(riley):
    tie = make_tie(riley, "Mum", "parent")
    make_interaction(riley, tie, note="Private words")
    make_interaction(riley, tie, note="")
    for lookup in ["note__icontains", "note__startswith", "note__gt", "note__in", "note__lower"]:
        with pytest.raises(FieldError):
            list(Interaction.objects.filter(**{lookup: "Private"}))
    with pytest.raises(FieldError, match="encrypted at rest"):
        Interaction.objects.filter(note="Private words").exists()
    # Whether anything was written still works: an empty note is stored empty.
    assert Interaction.objects.exclude(note="").count() == 1
    assert Interaction.objects.filter(note="").count() == 1
    assert Interaction.objects.filter(note__isnull=True).count() == 0


@pytest.mark.django_db
def test_lengths_are_checked_on_the_words_not_the_longer_token(riley):
    tie = make_tie(riley, "Mum", "parent")
    do_change_tie_status(tie, "paused", note="x" * 500, acting_user=riley)
    change = TieStatusChange.objects.get(tie=tie, status="paused")
    assert change.note == "x" * 500  # a 500-character note fits, though its token is longer
    change.note = "x" * 501
    with pytest.raises(ValidationError) as refused:
        change.full_clean()
    assert "note" in refused.value.message_dict
    # The forms keep their widgets and limits.
    note_field = TieStatusChange._meta.get_field("note").formfield()
    assert isinstance(note_field, forms.CharField)
    assert note_field.max_length == 500
    assert isinstance(note_field.widget, forms.TextInput)
    boundaries = TieForm().fields["boundaries"]
    assert boundaries.max_length == 2000
    assert isinstance(boundaries.widget, forms.Textarea)


def test_a_token_no_key_opens_is_never_encrypted_again():
    with override_settings(FIELD_ENCRYPTION_KEYS=[KEY_B]):
        foreign = encrypt("from another deployment")
    with override_settings(FIELD_ENCRYPTION_KEYS=[KEY_A]):
        with pytest.raises(DecryptionError):
            encryption.encrypt_stored(foreign)
        mine = encrypt("mine")
        assert encryption.encrypt_stored(mine) is None  # already encrypted: left alone
        assert decrypt(encryption.encrypt_stored("plain words")) == "plain words"
        assert encryption.decrypt_stored(mine) == "mine"
        assert encryption.decrypt_stored("plain words") is None


def production_settings(**environment) -> subprocess.CompletedProcess:
    """Imports the settings in a fresh interpreter with CIRCLES_ENV=production and the given variables."""
    base = {key: value for key, value in os.environ.items() if key not in {"FIELD_ENCRYPTION_KEYS", "DEBUG"}}
    production = {
        "CIRCLES_ENV": "production",
        "SECRET_KEY": "production-like-secret-for-this-test-only-" + "x" * 30,
        "ALLOWED_HOSTS": "circles.example.org",
        "AUDIT_HMAC_KEYS": "2024:an-audit-key-for-this-test-only",
    }
    return subprocess.run(  # noqa: S603 — our own interpreter on our own settings
        [sys.executable, "-c", "import circles.settings"],
        cwd=settings.BASE_DIR,
        env={**base, **production, **environment},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_refuses_to_start_without_an_encryption_key():
    refused = production_settings()
    assert refused.returncode != 0
    assert "ImproperlyConfigured: Set FIELD_ENCRYPTION_KEYS in production" in refused.stderr
    started = production_settings(FIELD_ENCRYPTION_KEYS=KEY_A)
    assert "FIELD_ENCRYPTION_KEYS" not in started.stderr


def test_manage_py_check_names_a_key_that_cannot_be_used():
    with override_settings(FIELD_ENCRYPTION_KEYS=[KEY_A, "typo"]):
        [error] = check_encryption_keys(None)
    assert error.id == "circles.E140"
    assert "key 2 of 2 is not a Fernet key" in error.msg
    with override_settings(FIELD_ENCRYPTION_KEYS=[KEY_A]):
        assert check_encryption_keys(None) == []
