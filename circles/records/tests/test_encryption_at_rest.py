"""Free text at rest: read straight from the database, no column holds the words a person wrote;
through Circles (the export included) every word comes back."""

import pytest
from django.apps import apps
from django.db import connection

from circles.alerts.actions import do_raise_sos
from circles.checkins.tests.factories import make_checkin
from circles.network.actions import do_change_tie_status
from circles.network.models import Interaction
from circles.network.tests.factories import make_interaction, make_tie
from circles.records.export import EXPORTERS

# Point 8 of issue 12: what a member is struggling with, check-in notes, tie notes and boundaries,
# contact notes, alert messages, encouragement.
FREE_TEXT = {
    "network.Tie": ["boundaries"],
    "network.TieStatusChange": ["note"],
    "network.Interaction": ["note", "message"],
    "checkins.CheckIn": ["substance", "use_note", "helped", "struggling"],
    "alerts.Alert": ["message"],
}

WORDS = {
    "boundaries": "No calls after nine",
    "contact note": "We talked about the anniversary",
    "status note": "Taking a break while she is drinking",
    "encouragement": "Proud of you this week",
    "substance": "alcohol",
    "use note": "One drink at the party",
    "helped": "A long walk",
    "struggling": "Work deadlines",
    "sos": "Rough evening",
}


@pytest.fixture
def everything(riley, sam):
    """Riley's words in every free-text field (written the way the pages write them)."""
    parent = make_tie(riley, "Marguerite", "parent", boundaries=WORDS["boundaries"])
    make_interaction(riley, parent, days_ago=1, note=WORDS["contact note"])
    do_change_tie_status(parent, "paused", note=WORDS["status note"], acting_user=riley)
    sponsor = make_tie(riley, "Sam", "sponsor")
    Interaction.objects.create(
        member=riley, tie=sponsor, kind="encouragement", sent_by=sam, message=WORDS["encouragement"]
    )
    make_checkin(
        riley,
        used=True,
        substance=WORDS["substance"],
        use_note=WORDS["use note"],
        helped=WORDS["helped"],
        struggling=WORDS["struggling"],
    )
    do_raise_sos(riley, message=WORDS["sos"], acting_user=riley)


def raw_values(label: str, field_name: str) -> list[str]:
    model = apps.get_model(label)
    column = model._meta.get_field(field_name).column
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {quote(column)} FROM {quote(model._meta.db_table)}")  # noqa: S608
        return [value for (value,) in cursor.fetchall() if value]


def test_no_column_holds_the_words(everything):
    for label, field_names in FREE_TEXT.items():
        for field_name in field_names:
            values = raw_values(label, field_name)
            assert values, f"{label}.{field_name}: the test wrote nothing there"
            for value in values:
                leaked = [words for words in WORDS.values() if words.lower() in value.lower()]
                assert not leaked, f"{label}.{field_name} holds {leaked} in plain text"
                assert value.startswith("gAAAAA"), f"{label}.{field_name} is not a Fernet token"


def test_every_free_text_field_is_encrypted():
    """A new free-text field of these kinds is encrypted too, or this list says why not."""
    for label, field_names in FREE_TEXT.items():
        model = apps.get_model(label)
        for field_name in field_names:
            field = model._meta.get_field(field_name)
            assert type(field).__module__ == "circles.lib.encryption", f"{label}.{field_name}"


def test_the_export_gives_the_words_back(riley, everything):
    # The sections that hold these fields (the whole export is built from the same sections).
    flat = repr([EXPORTERS[apps.get_model(label)](riley) for label in FREE_TEXT])
    assert [words for words in WORDS.values() if words not in flat] == []
    assert "gAAAAA" not in flat
