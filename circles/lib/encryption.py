"""Free text encrypted at rest: model fields whose column holds a Fernet token, never the words.

Fernet (from `cryptography`) is authenticated encryption: AES-128-CBC with an HMAC-SHA256 over the
whole token, so a changed or swapped byte is refused rather than read as other words. Keys come from
settings.FIELD_ENCRYPTION_KEYS, newest first: the first one encrypts, every one decrypts. A new key is
put in front, `manage.py rotate_encryption_keys` re-encrypts everything under it, and only then is the
old key removed (docs/deploy.md, "Keys").

What stays visible in the column: whether a box was left empty (an empty string is stored as an empty
string, so "has this member written anything" needs no key), roughly how long the text is (in steps
of 16 bytes) and when the token was made (Fernet puts the time in clear). The words themselves do not.
The database cannot search, sort or compare these columns: lookups other than `isnull` and "equals the
empty string" are refused with a FieldError instead of silently matching nothing.
"""

from __future__ import annotations

import base64
import binascii
import functools
from collections.abc import Callable, Iterable

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core import validators
from django.core.exceptions import FieldError, ImproperlyConfigured
from django.db import migrations, models, transaction
from django.db.models.lookups import Exact, IsNull
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

MAKE_A_KEY = (
    '.venv/bin/python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"'
)
FERNET_VERSION = 0x80  # the first byte of every Fernet token


class DecryptionError(Exception):
    """A stored value that no key in FIELD_ENCRYPTION_KEYS opens (or that was altered)."""


@functools.lru_cache(maxsize=8)
def _keyring(keys: tuple[str, ...]) -> tuple[Fernet, MultiFernet]:
    if not keys:
        raise ImproperlyConfigured(
            f"FIELD_ENCRYPTION_KEYS is empty. Make a key with: {MAKE_A_KEY} (docs/deploy.md, Keys)"
        )
    fernets = []
    for position, key in enumerate(keys, start=1):
        try:
            fernets.append(Fernet(key.encode("ascii")))
        except (ValueError, UnicodeEncodeError, binascii.Error) as error:
            # Never echo the key itself: it may be a real one with a typo.
            raise ImproperlyConfigured(
                f"FIELD_ENCRYPTION_KEYS: key {position} of {len(keys)} is not a Fernet key "
                f"(32 random bytes in url-safe base64, 44 characters). Make one with: {MAKE_A_KEY}"
            ) from error
    return fernets[0], MultiFernet(fernets)


def keyring() -> tuple[Fernet, MultiFernet]:
    """(the key that encrypts, all keys that decrypt), from settings.FIELD_ENCRYPTION_KEYS."""
    keys = settings.FIELD_ENCRYPTION_KEYS
    if isinstance(keys, str):  # a single key given as a string, not a list
        keys = [keys]
    return _keyring(tuple(keys))


def encrypt(text: str) -> str:
    """A Fernet token for the text, under the newest key."""
    return keyring()[1].encrypt(text.encode("utf-8")).decode("ascii")


def decrypt(token: str, *, where: str = "a value") -> str:
    """The text inside a token; DecryptionError when no key opens it (never the token itself)."""
    try:
        return keyring()[1].decrypt(token.encode("ascii")).decode("utf-8")
    except (InvalidToken, UnicodeError) as error:
        raise DecryptionError(
            f"Could not decrypt {where}: no key in FIELD_ENCRYPTION_KEYS opens it, or it was altered. "
            "Was a key removed before `manage.py rotate_encryption_keys` finished? (docs/deploy.md, Keys)"
        ) from error


def looks_encrypted(value: str) -> bool:
    """Whether a stored value has the shape of a Fernet token (says nothing about which key)."""
    try:
        raw = base64.urlsafe_b64decode(value.encode("ascii"))
    except (ValueError, UnicodeError, binascii.Error):
        return False
    # version, timestamp (8), IV (16), at least one AES block (16), HMAC (32)
    return len(raw) >= 73 and raw[0] == FERNET_VERSION


def under_newest_key(token: str) -> bool:
    try:
        keyring()[0].decrypt(token.encode("ascii"))
    except InvalidToken:
        return False
    return True


# --- Rewriting stored values in place: the data migrations and rotate_encryption_keys.


def encrypt_stored(value: str) -> str | None:
    """For the data migrations: plain text becomes a token; a value already encrypted stays (None).

    A value shaped like a token that no key opens is refused rather than encrypted a second time.
    """
    if value == "":
        return None
    if looks_encrypted(value):
        decrypt(value)  # raises DecryptionError: a token is never encrypted a second time
        return None
    return encrypt(value)


def decrypt_stored(value: str) -> str | None:
    """For reversing the data migrations: a token becomes its plain text again."""
    if value == "" or not looks_encrypted(value):
        return None
    return decrypt(value)


def rotate_stored(value: str) -> str | None:
    """For rotate_encryption_keys: a token made with an older key is made again with the newest."""
    if value == "" or under_newest_key(value):
        return None
    try:
        return keyring()[1].rotate(value.encode("ascii")).decode("ascii")
    except InvalidToken as error:
        raise DecryptionError(
            "A stored value is opened by no key in FIELD_ENCRYPTION_KEYS; nothing was changed in its row."
        ) from error


def rewrite_columns(
    connection,
    model,
    field_names: Iterable[str],
    change: Callable[[str], str | None],
    *,
    batch_size: int = 500,
) -> int:
    """Applies `change` to every non-empty stored value of the model's fields, in batches of rows by
    primary key, each batch in its own transaction. Reads and writes the raw columns (no field
    conversion), so it works with a migration's historical model too.

    `change` returns the new stored value, or None to leave it. Returns how many rows changed.
    """
    columns = [model._meta.get_field(name).column for name in field_names]
    quote = connection.ops.quote_name
    table, pk = quote(model._meta.db_table), quote(model._meta.pk.column)
    select = f"SELECT {pk}, {', '.join(quote(c) for c in columns)} FROM {table}"  # noqa: S608
    changed_rows = 0
    last = None
    while True:
        with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
            if last is None:
                cursor.execute(f"{select} ORDER BY {pk} LIMIT %s", [batch_size])
            else:
                cursor.execute(f"{select} WHERE {pk} > %s ORDER BY {pk} LIMIT %s", [last, batch_size])
            rows = cursor.fetchall()
            for row_pk, *values in rows:
                updates = {}
                for column, value in zip(columns, values, strict=True):
                    if value is not None and (new := change(value)) is not None:
                        updates[column] = new
                if updates:
                    assignments = ", ".join(f"{quote(column)} = %s" for column in updates)
                    cursor.execute(
                        f"UPDATE {table} SET {assignments} WHERE {pk} = %s",  # noqa: S608
                        [*updates.values(), row_pk],
                    )
                    changed_rows += 1
        if len(rows) < batch_size:
            return changed_rows
        last = rows[-1][0]


def encrypt_columns(model_label: str, field_names: list[str]) -> migrations.RunPython:
    """A data migration that encrypts the fields' existing rows; reversed, it decrypts them."""

    def run(change):
        def operation(apps, schema_editor):
            model = apps.get_model(model_label)
            rewrite_columns(schema_editor.connection, model, field_names, change)

        return operation

    return migrations.RunPython(run(encrypt_stored), run(decrypt_stored), elidable=False)


# --- The fields.


class OnlyEmptyExact(Exact):
    """`field=""` (and its exclude) still works: an empty value is stored empty. Anything else would
    compare with a fresh token and silently match nothing, so it is refused."""

    def get_prep_lookup(self):
        if not (self.rhs_is_direct_value() and self.rhs == ""):
            raise FieldError(
                f"{self.lhs.output_field} is encrypted at rest: the database can only tell whether it is "
                "empty. Load the rows and compare the text in Python."
            )
        return super().get_prep_lookup()


class EncryptedTextField(models.TextField):
    """Text stored as a Fernet token in a text column; reads give the text back.

    max_length is checked on the text (by model validation and the form field), not on the column,
    which holds the longer token.
    """

    description = _("Text (encrypted at rest)")
    allowed_lookups = frozenset({"exact", "isnull"})

    @cached_property
    def validators(self):
        extra = [validators.MaxLengthValidator(self.max_length)] if self.max_length else []
        return [*super().validators, *extra]

    def get_lookup(self, lookup_name):
        if lookup_name == "exact":
            return OnlyEmptyExact
        if lookup_name == "isnull":
            return IsNull
        return None  # Django then raises FieldError "Unsupported lookup …"

    def get_transform(self, name):
        return None

    def get_db_prep_value(self, value, connection, prepared=False):
        if not prepared:
            value = self.get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt(value)

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return decrypt(value, where=f"{self.model._meta.db_table}.{self.column}")


class EncryptedCharField(EncryptedTextField):
    """A one-line EncryptedTextField: a text input in forms, like the CharField it replaces."""

    def formfield(self, **kwargs):
        # The plain form field of a CharField (a text input with maxlength), not TextField's textarea.
        return models.Field.formfield(self, **{"max_length": self.max_length, **kwargs})


def encrypted_fields(model) -> list[EncryptedTextField]:
    return [field for field in model._meta.concrete_fields if isinstance(field, EncryptedTextField)]
