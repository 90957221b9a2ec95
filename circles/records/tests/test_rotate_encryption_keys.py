"""`manage.py rotate_encryption_keys`: after it, the older key can go and every word still reads."""

import datetime as dt
import io

import pytest
from cryptography.fernet import Fernet
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import override_settings

from circles.alerts.models import Alert
from circles.checkins.models import CheckIn
from circles.checkins.tests.factories import make_checkin
from circles.lib.encryption import DecryptionError
from circles.network.models import Interaction, Tie
from circles.network.tests.factories import make_interaction, make_tie

OLD = Fernet.generate_key().decode()
NEW = Fernet.generate_key().decode()


def rotate(**options) -> str:
    out = io.StringIO()
    call_command("rotate_encryption_keys", stdout=out, **options)
    return out.getvalue()


def raw_notes() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT note FROM network_interaction ORDER BY id")
        return [note for (note,) in cursor.fetchall()]


@pytest.fixture
def written_under_old_key(riley):
    with override_settings(FIELD_ENCRYPTION_KEYS=[OLD]):
        tie = make_tie(riley, "Mum", "parent", boundaries="Not before noon")
        for number in range(7):
            make_interaction(riley, tie, days_ago=number, note=f"Contact number {number}")
        make_interaction(riley, tie, days_ago=8, note="")  # stays empty, not counted
        make_checkin(riley, struggling="Sleep", helped="Music")
    return riley


def test_after_rotation_the_new_key_alone_reads_everything(written_under_old_key):
    with override_settings(FIELD_ENCRYPTION_KEYS=[NEW, OLD]):
        before = raw_notes()
        output = rotate(batch_size=3)  # several batches
        after = raw_notes()
    assert "network.Interaction (note, message): 7 rows re-encrypted" in output
    assert "network.Tie (boundaries): 1 rows re-encrypted" in output
    assert "checkins.CheckIn (substance, use_note, helped, struggling): 1 rows re-encrypted" in output
    assert "alerts.Alert (message): 0 rows re-encrypted" in output
    assert "Done: 9 rows re-encrypted" in output
    assert all(new != old for new, old in zip(after, before, strict=True) if old)
    assert "" in after

    with override_settings(FIELD_ENCRYPTION_KEYS=[NEW]):
        notes = sorted(note for note in Interaction.objects.values_list("note", flat=True) if note)
        assert notes == [f"Contact number {number}" for number in range(7)]
        assert Tie.objects.get().boundaries == "Not before noon"
        assert (CheckIn.objects.get().struggling, CheckIn.objects.get().helped) == ("Sleep", "Music")
        assert not Alert.objects.exists()


def test_running_it_again_changes_nothing(written_under_old_key):
    with override_settings(FIELD_ENCRYPTION_KEYS=[NEW, OLD]):
        rotate()
        once = raw_notes()
        output = rotate()
    assert "Done: 0 rows re-encrypted" in output
    assert raw_notes() == once


def test_a_missing_key_stops_it_and_names_the_model(written_under_old_key):
    other = Fernet.generate_key().decode()
    with override_settings(FIELD_ENCRYPTION_KEYS=[other, NEW]), pytest.raises(CommandError) as stopped:
        rotate()
    assert "network" in str(stopped.value) or "checkins" in str(stopped.value)
    assert "put back the missing key" in str(stopped.value)
    with override_settings(FIELD_ENCRYPTION_KEYS=[OLD]):
        assert Tie.objects.get().boundaries == "Not before noon"  # the row that failed is untouched
    with override_settings(FIELD_ENCRYPTION_KEYS=[other]), pytest.raises(DecryptionError):
        Tie.objects.get()


def test_bad_keys_stop_it_before_any_row(written_under_old_key):
    with (
        override_settings(FIELD_ENCRYPTION_KEYS=["nonsense"]),
        pytest.raises(Exception, match="not a Fernet key"),
    ):
        rotate()
    with override_settings(FIELD_ENCRYPTION_KEYS=[OLD]):
        assert Tie.objects.get().boundaries == "Not before noon"


MIGRATION_BEFORE = ("checkins", "0001_initial")
MIGRATION_AFTER = ("checkins", "0002_encrypt_free_text")


def migrate(target):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([target])
    return executor.loader.project_state(target).apps


def raw_checkin(pk) -> tuple:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT substance, use_note, helped, struggling FROM checkins_checkin WHERE id = %s", [pk]
        )
        return cursor.fetchone()


@pytest.mark.django_db(transaction=True)
def test_the_migration_encrypts_rows_written_before_it_and_its_reverse_decrypts(riley):
    words = ("cannabis", "At the party", "", "Being alone on Sundays")
    try:
        old_apps = migrate(MIGRATION_BEFORE)
        OldCheckIn = old_apps.get_model("checkins", "CheckIn")
        checkin = OldCheckIn.objects.create(
            member_id=riley.pk,
            day=dt.date(2024, 5, 1),
            mood=5,
            craving=5,
            stress=5,
            sleep_quality=3,
            used=True,
            substance=words[0],
            use_note=words[1],
            helped=words[2],
            struggling=words[3],
        )
        assert raw_checkin(checkin.pk) == words

        migrate(MIGRATION_AFTER)
        stored = raw_checkin(checkin.pk)
        assert stored[2] == ""
        assert all(value.startswith("gAAAAA") for value in stored if value)
        assert not any(word in value for word in words if word for value in stored)
        read = CheckIn.objects.get(pk=checkin.pk)
        assert (read.substance, read.use_note, read.helped, read.struggling) == words

        migrate(MIGRATION_BEFORE)
        assert raw_checkin(checkin.pk) == words
    finally:
        executor = MigrationExecutor(connection)
        # Every app's newest: going back also unapplied the apps that depend on this one (care on
        # checkins), and later tests on PostgreSQL would find their tables gone.
        executor.migrate(executor.loader.graph.leaf_nodes())
