"""How each app declares the personal data it keeps, so that export and erasure (circles/records) cover
every app without knowing any of them.

An app with data about a person has a `personal_data.py` whose `PERSONAL_DATA` says, for each of its
models, which function lists a person's rows (the JSON section is named after the function) or why the
model holds nothing about anyone; what it adds to the FHIR Bundle; and what erasure must do beyond the
rows that go with the account. A test checks that every installed model is covered exactly once.
"""

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.db import models

Row = dict[str, object]
Section = Callable[..., list[Row]]  # (person) -> their rows


def plain(value: object) -> object:
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    return value


def row(record: models.Model, names: Iterable[str], **extra: object) -> Row:
    """The named fields of a record as JSON-able values, then any extra keys."""
    result = {name: plain(getattr(record, name)) for name in names}
    result.update({key: plain(value) for key, value in extra.items()})
    return result


@dataclass(frozen=True)
class PersonalData:
    """One app's part of "everything a person has"."""

    # model -> the function listing the person's rows of it; its name is the section's name.
    sections: dict[type[models.Model], Section] = field(default_factory=dict)
    # Sections that are not "the person's rows of one model" (e.g. what they wrote to others).
    extra_sections: list[Section] = field(default_factory=list)
    # model -> why it holds no data about the person.
    not_member_data: dict[type[models.Model], str] = field(default_factory=dict)
    # (person) -> Bundle entries ({"fullUrl", "resource"}) for the FHIR download.
    fhir_entries: Callable[..., list[dict]] | None = None
    # (person) -> None: run inside the erasure's transaction, before the account and everything that
    # cascades with it is deleted; for what would otherwise outlive it (copies of an address, sign-ins).
    erase: Callable[..., None] | None = None
